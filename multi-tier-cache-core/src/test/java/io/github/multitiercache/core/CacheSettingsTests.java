package io.github.multitiercache.core;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CacheSettingsTests {

    @Test
    void optionsApplyOnlyWhatTheySet() {
        CacheOptions options = CacheOptions.none().with(CacheSettings.L1_TTL, Duration.ofSeconds(5))
                .with(CacheSettings.TTL_JITTER, 0.2);
        CacheSettings settings = CacheSettings.defaults().toBuilder().apply(options).build();
        assertThat(settings.l1Ttl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.ttlJitter()).isEqualTo(0.2);
        assertThat(settings.l2Ttl()).isEqualTo(CacheSettings.defaults().l2Ttl());
    }

    @Test
    void invalidValuesAreRefusedWithTheOptionName() {
        CacheSettings.Builder builder = CacheSettings.defaults().toBuilder();
        assertThatIllegalArgumentException().isThrownBy(() -> builder.ttlJitter(1.5).build()).withMessageContaining("ttl-jitter");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CacheSettings.defaults().toBuilder().l1MaximumSize(0).build())
                .withMessageContaining("l1.maximum-size");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CacheSettings.defaults().toBuilder().l2Ttl(Duration.ofSeconds(-1)).build())
                .withMessageContaining("l2.ttl");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CacheSettings.defaults().toBuilder().l1Enabled(false).l2Enabled(false).build())
                .withMessageContaining("l1.enabled");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CacheSettings.defaults().toBuilder().maxValueSize(10).build())
                .withMessageContaining("max-value-size");
    }

    @Test
    void conflictingOptionsAreNamedAndCompatibleOnesUnite() {
        CacheOptions a = CacheOptions.none().with(CacheSettings.L1_TTL, Duration.ofSeconds(30));
        CacheOptions b = CacheOptions.none().with(CacheSettings.L1_TTL, Duration.ofMinutes(1))
                .with(CacheSettings.L2_TTL, Duration.ofHours(1));
        CacheOptions c = CacheOptions.none().with(CacheSettings.L2_TTL, Duration.ofHours(1))
                .with(CacheSettings.CACHE_NULL_VALUES, true);
        assertThat(a.conflictsWith(b)).containsExactly("l1.ttl (PT30S vs PT1M)");
        assertThat(a.conflictsWith(c)).isEmpty();
        assertThat(a.union(c).get(CacheSettings.L2_TTL)).isEqualTo(Duration.ofHours(1));
        assertThat(a.union(c).get(CacheSettings.L1_TTL)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void jitterStaysWithinItsFractionAndAtLeastOneMillisecond() {
        TtlJitter low = new TtlJitter(() -> 0.0);
        TtlJitter high = new TtlJitter(() -> 0.999999);
        assertThat(low.apply(1000, 0.1)).isEqualTo(900);
        assertThat(high.apply(1000, 0.1)).isEqualTo(1100);
        assertThat(low.apply(1, 0.5)).isEqualTo(1);
        assertThat(TtlJitter.random().apply(1000, 0)).isEqualTo(1000);
    }
}
