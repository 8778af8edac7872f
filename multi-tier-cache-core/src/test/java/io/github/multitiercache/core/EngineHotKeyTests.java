package io.github.multitiercache.core;

import java.time.Duration;

import io.github.multitiercache.core.hotkey.HotKeySettings;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache.ValueWrapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot keys against the in-memory twin of Redis with a fake clock: detection over the sliding
 * window, pinning in L1 where L1 is off, the announcement to the other instances, invalidation of a
 * pinned copy, and the cool-down when traffic stops. A key read more than 100 times a second over a
 * one-second window is hot; reviews run every 100 ms of fake time, on the reading thread.
 */
class EngineHotKeyTests {

    private static final HotKeySettings HOT = new HotKeySettings(true, Duration.ofSeconds(1), 100, 8, 1024,
            Duration.ofSeconds(30), 3);

    private static final CacheSettings L1_OFF = CacheSettings.defaults().toBuilder()
            .l1Enabled(false).l2Ttl(Duration.ofMinutes(10)).ttlJitter(0).hotKeys(HOT).build();

    private final FastEngine engine = new FastEngine();

    /** Reads a key 400 times a second for 1.5 s of fake time. */
    private void readHard(TieredCache cache, Object key) {
        for (int step = 0; step < 15; step++) {
            for (int i = 0; i < 40; i++) {
                cache.lookup(key);
            }
            engine.time.advance(Duration.ofMillis(100));
        }
    }

    private static boolean isHotHere(TieredCache cache, String key) {
        return cache.insight().hotKeys().stream().anyMatch(hot -> hot.key().equals(key) && hot.local());
    }

    @Test
    void aKeyReadPastTheThresholdIsPinnedInL1WhereL1IsOffAndServedWithoutRedis() {
        TieredCache onA = engine.instance("pinned", L1_OFF);
        TieredCache onB = engine.instance("pinned", L1_OFF);
        onA.put("celebrity", "v1");
        onA.put("ordinary", "o1");

        readHard(onB, "celebrity");
        assertThat(isHotHere(onB, "celebrity")).isTrue();
        onB.lookup("celebrity");
        assertThat(onB.insight().l1()).as("a small L1 for hot keys").isNotNull();
        assertThat(onB.insight().l1().remainingNanos("celebrity")).as("pinned for hot-keys.l1-ttl")
                .isGreaterThan(Duration.ofSeconds(20).toNanos());

        long l1Hits = onB.statistics().l1Hits();
        long l2Hits = onB.statistics().l2Hits();
        for (int i = 0; i < 200; i++) {
            assertThat(onB.lookup("celebrity")).extracting(ValueWrapper::get).isEqualTo("v1");
        }
        assertThat(onB.statistics().l1Hits() - l1Hits).isEqualTo(200);
        assertThat(onB.statistics().l2Hits()).as("no Redis read for the pinned key").isEqualTo(l2Hits);

        onB.lookup("ordinary");
        assertThat(onB.insight().l1().remainingNanos("ordinary")).as("a key that is not hot stays out of L1")
                .isNegative();
    }

    @Test
    void aWriteOnAnotherInstanceDropsThePinnedCopyAtOnce() {
        TieredCache onA = engine.instance("pinned", L1_OFF);
        TieredCache onB = engine.instance("pinned", L1_OFF);
        onA.put("celebrity", "v1");
        readHard(onB, "celebrity");
        onB.lookup("celebrity");
        assertThat(onB.insight().l1().remainingNanos("celebrity")).isPositive();

        onA.evict("celebrity");
        assertThat(onB.insight().l1().remainingNanos("celebrity")).isNegative();
        assertThat(onB.lookup("celebrity")).isNull();

        onA.put("celebrity", "v2");
        assertThat(onB.lookup("celebrity")).extracting(ValueWrapper::get).isEqualTo("v2");
    }

    @Test
    void aHotKeyIsAnnouncedToTheOtherInstancesAndCoolsDownWhenTrafficStops() {
        TieredCache onA = engine.instance("announced", L1_OFF);
        TieredCache onB = engine.instance("announced", L1_OFF);
        onA.put("flash-sale", "v");

        readHard(onB, "flash-sale");
        assertThat(onB.insight().hotKeys()).singleElement().satisfies(status -> {
            assertThat(status.local()).isTrue();
            assertThat(status.readsPerSecond()).isGreaterThanOrEqualTo(100);
        });
        assertThat(onA.insight().hotKeys()).as("announced by B").singleElement().satisfies(status -> {
            assertThat(status.key()).isEqualTo("flash-sale");
            assertThat(status.announced()).isTrue();
            assertThat(status.local()).as("A never read it").isFalse();
            assertThat(status.replicated()).as("no replicas without a cluster").isFalse();
        });
        assertThat(onA.insight().hotKeyCount(false)).isEqualTo(1);
        assertThat(onA.insight().hotKeyCount(true)).isZero();

        // Traffic stops: the window empties on B, the announcement's lease runs out on A.
        engine.time.advance(Duration.ofSeconds(2));
        assertThat(onB.insight().hotKeys()).isEmpty();
        engine.time.advance(Duration.ofSeconds(30));
        assertThat(onA.insight().hotKeys()).isEmpty();
        assertThat(onB.insight().hotKeyStatistics().promotions()).isPositive();
        assertThat(onB.insight().hotKeyStatistics().cooldowns()).isPositive();
    }

    @Test
    void aKeyReadBelowTheThresholdNeverBecomesHot() {
        TieredCache cache = engine.instance("calm", L1_OFF);
        cache.put("k", "v");
        for (int step = 0; step < 30; step++) {
            for (int i = 0; i < 5; i++) {
                cache.lookup("k");
            }
            engine.time.advance(Duration.ofMillis(100));
        }
        assertThat(cache.insight().hotKeys()).isEmpty();
        assertThat(cache.insight().l1().remainingNanos("k")).isNegative();
    }

    @Test
    void aCacheWithHotKeysOffKeepsNoL1AndCountsNothing() {
        TieredCache cache = engine.instance("off", L1_OFF.toBuilder().hotKeys(HOT.disabled()).build());
        cache.put("k", "v");
        readHard(cache, "k");
        assertThat(cache.insight().l1()).isNull();
        assertThat(cache.insight().hotKeys()).isEmpty();
        assertThat(cache.insight().hotKeyStatistics()).isNull();
        assertThat(cache.statistics().l2Hits()).isEqualTo(600);
    }
}
