package io.github.multitiercache.core;

import java.time.LocalDate;
import java.util.Date;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.cache.interceptor.SimpleKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class DefaultCacheKeyConverterTests {

    private final CacheKeyConverter converter = DefaultCacheKeyConverter.INSTANCE;

    enum Color { RED }

    record Point(int x, int y) {
    }

    @Test
    void commonKeyTypesHaveReadableStableText() {
        assertThat(converter.convert("abc")).isEqualTo("abc");
        assertThat(converter.convert(42)).isEqualTo("42");
        assertThat(converter.convert(42L)).isEqualTo("42");
        assertThat(converter.convert(true)).isEqualTo("true");
        assertThat(converter.convert(UUID.fromString("123e4567-e89b-12d3-a456-426614174000")))
                .isEqualTo("123e4567-e89b-12d3-a456-426614174000");
        assertThat(converter.convert(LocalDate.of(2026, 1, 31))).isEqualTo("2026-01-31");
        assertThat(converter.convert(Color.RED)).isEqualTo("RED");
        assertThat(converter.convert(new Date(1000))).isEqualTo("1000");
        assertThat(converter.convert(new SimpleKey("a", 1))).isEqualTo("a, 1");
        assertThat(converter.convert(SimpleKey.EMPTY)).isEmpty();
        assertThat(converter.convert(new Point(1, 2))).isEqualTo("Point[x=1, y=2]");
        assertThat(converter.convert(new String[] { "a", "b" })).isEqualTo("[a, b]");
        assertThat(converter.convert(new int[] { 1, 2 })).isEqualTo("[1, 2]");
    }

    @Test
    void keysWithIdentityToStringAreRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> converter.convert(new Object()))
                .withMessageContaining("java.lang.Object").withMessageContaining("no stable text form");
    }
}
