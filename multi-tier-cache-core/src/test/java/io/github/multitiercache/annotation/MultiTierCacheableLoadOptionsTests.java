package io.github.multitiercache.annotation;

import java.time.Duration;

import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The stampede, refresh-ahead and fail-safe options of {@link MultiTierCacheable}. */
class MultiTierCacheableLoadOptionsTests {

    @Test
    void readsStampedeRefreshAndFailSafeOptions() throws Exception {
        MultiTierCacheable annotation = Service.class.getMethod("tuned").getAnnotation(MultiTierCacheable.class);
        CacheOptions options = MultiTierCacheableProcessor.optionsOf(annotation, "tuned");
        CacheSettings settings = CacheSettings.defaults().toBuilder().apply(options).build();
        assertThat(settings.stampede()).isEqualTo(new StampedeSettings(true, Duration.ofSeconds(3),
                Duration.ofSeconds(1), StampedeSettings.OnTimeout.STALE));
        assertThat(settings.refresh()).isEqualTo(new RefreshSettings(RefreshSettings.Mode.XFETCH, 0.8, 1.5));
        assertThat(settings.failSafe()).isEqualTo(new FailSafeSettings(true, Duration.ofHours(1),
                Duration.ofMillis(200), Duration.ofSeconds(2)));
    }

    @Test
    void leavesUnsetOptionsAlone() throws Exception {
        MultiTierCacheable annotation = Service.class.getMethod("plain").getAnnotation(MultiTierCacheable.class);
        assertThat(MultiTierCacheableProcessor.optionsOf(annotation, "plain").isEmpty()).isTrue();
    }

    @Test
    void refusesAnUnknownRefreshMode() throws Exception {
        MultiTierCacheable annotation = Service.class.getMethod("wrong").getAnnotation(MultiTierCacheable.class);
        assertThatIllegalStateException().isThrownBy(() -> MultiTierCacheableProcessor.optionsOf(annotation, "wrong"))
                .withMessageContaining("refreshMode must be one of [NONE, FIXED, XFETCH] but was 'sometimes'");
    }

    @Test
    void conflictingLoadOptionsAreNamed() {
        CacheOptions a = CacheOptions.none().union(CacheSettingsOptions.lease(Duration.ofSeconds(1)));
        CacheOptions b = CacheSettingsOptions.lease(Duration.ofSeconds(2));
        assertThat(a.conflictsWith(b)).containsExactly("stampede.lease (PT1S vs PT2S)");
    }

    static class Service {

        @MultiTierCacheable(cacheNames = "a", stampedeLease = "3s", stampedeMaxWait = "1s",
                stampedeOnTimeout = "stale", refreshMode = "XFETCH", refreshXfetchBeta = 1.5,
                failSafeEnabled = MultiTierCacheable.Toggle.TRUE, failSafeMaxStale = "1h",
                failSafeSoftTimeout = "200ms", failSafeHardTimeout = "2s")
        public String tuned() {
            return "";
        }

        @MultiTierCacheable(cacheNames = "b")
        public String plain() {
            return "";
        }

        @MultiTierCacheable(cacheNames = "c", refreshMode = "sometimes")
        public String wrong() {
            return "";
        }
    }

    private static final class CacheSettingsOptions {

        static CacheOptions lease(Duration lease) {
            return CacheOptions.none().with(CacheSettings.STAMPEDE_LEASE, lease);
        }
    }
}
