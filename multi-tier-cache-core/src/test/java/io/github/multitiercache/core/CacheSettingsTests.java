package io.github.multitiercache.core;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CacheSettingsTests {

    @Test
    void optionsApplyOnlyWhatTheySet() {
        CacheOptions options = new CacheOptions(null, null, Duration.ofSeconds(5), null, null, 0.2, null, null, null, null);
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
        CacheOptions a = new CacheOptions(null, null, Duration.ofSeconds(30), null, null, null, null, null, null, null);
        CacheOptions b = new CacheOptions(null, null, Duration.ofMinutes(1), null, Duration.ofHours(1), null, null, null, null, null);
        CacheOptions c = new CacheOptions(null, null, null, null, Duration.ofHours(1), null, true, null, null, null);
        assertThat(a.conflictsWith(b)).containsExactly("l1.ttl (PT30S vs PT1M)");
        assertThat(a.conflictsWith(c)).isEmpty();
        assertThat(a.union(c).l2Ttl()).isEqualTo(Duration.ofHours(1));
        assertThat(a.union(c).l1Ttl()).isEqualTo(Duration.ofSeconds(30));
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
