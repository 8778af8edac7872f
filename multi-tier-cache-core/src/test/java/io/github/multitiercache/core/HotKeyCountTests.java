package io.github.multitiercache.core;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TieredCache#hotKeyCount(boolean)} against {@link TieredCache#hotKeys()}, on a ticker moved
 * by hand: a key read 1,000 times in one window, with a threshold of 100 reads per one-second window
 * (reviews every 100 ms).
 */
class HotKeyCountTests {

    private static final HotKeySettings HOT = new HotKeySettings(true, Duration.ofSeconds(1), 100, 8, 1024,
            Duration.ofSeconds(30), 3);

    private final AtomicLong nanos = new AtomicLong();

    private final TieredCache cache = new TieredCache("counted",
            CacheSettings.defaults().toBuilder().l2Enabled(false).hotKeys(HOT).build(),
            new TieredCacheContext(null, JsonValueSerializer.forPackages("io.github.multitiercache."),
                    DefaultCacheKeyConverter.INSTANCE, "c", TtlJitter.random(), InvalidationPublisher.NONE,
                    L1Guard.alwaysTrusted(), Clock.systemUTC(), nanos::get, Runnable::run));

    @Test
    void theLocalCountFollowsTheReviewsAndLagsTheListByLessThanOneReviewInterval() {
        for (int i = 0; i < 1000; i++) {
            cache.lookup("celebrity");
        }
        at(1000);
        assertThat(cache.insight().hotKeys()).singleElement().satisfies(status -> assertThat(status.local()).isTrue());
        assertThat(cache.insight().hotKeyCount(true)).isEqualTo(1);
        assertThat(cache.insight().hotKeyCount(false)).isZero();

        // The review due now still finds the key hot: 15 % of the last window's reads are left.
        at(1850);
        assertThat(cache.insight().hotKeyCount(true)).isEqualTo(1);
        // 6 % left, below the threshold, but no review is due before 1950 ms: the count lags the list.
        at(1940);
        assertThat(cache.insight().hotKeyCount(true)).isEqualTo(1);
        at(1950);
        assertThat(cache.insight().hotKeyCount(true)).as("cooled down by the review a scrape runs").isZero();
        assertThat(cache.insight().hotKeys()).isEmpty();
        assertThat(cache.insight().hotKeyStatistics().cooldowns()).isEqualTo(1);
    }

    @Test
    void anAnnouncedKeyIsCountedUntilItsLeaseEnds() {
        cache.hotKeysAnnounced(List.of("trending"), 500);
        assertThat(cache.insight().hotKeys()).singleElement().extracting(HotKeyStatus::local).isEqualTo(false);
        assertThat(cache.insight().hotKeyCount(false)).isEqualTo(1);
        assertThat(cache.insight().hotKeyCount(true)).isZero();

        at(499);
        assertThat(cache.insight().hotKeyCount(false)).isEqualTo(1);
        at(500);
        assertThat(cache.insight().hotKeyCount(false)).isZero();
        assertThat(cache.insight().hotKeys()).isEmpty();
    }

    private void at(long millis) {
        nanos.set(TimeUnit.MILLISECONDS.toNanos(millis));
    }
}
