package io.github.multitiercache.core;

import java.time.Duration;
import java.util.List;

import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hot keys on standalone Redis: two instances, each with an invalidation bus, on one real Redis.
 * A key read more than 100 times a second (over a one-second window) is hot.
 */
class HotKeyPinningTests {

    private static final HotKeySettings HOT = new HotKeySettings(true, Duration.ofSeconds(1), 100, 8, 1024,
            Duration.ofSeconds(30), 3);

    private static final CacheSettings L1_OFF = CacheSettings.defaults().toBuilder()
            .l1Enabled(false).l2Ttl(Duration.ofMinutes(10)).ttlJitter(0).hotKeys(HOT).build();

    private RedisServer redis;
    private TestRedis a;
    private TestRedis b;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        a = TestRedis.standalone(redis.port(), "h").withBus(Duration.ofMillis(100), Duration.ofMillis(600));
        b = TestRedis.standalone(redis.port(), "h").withBus(Duration.ofMillis(100), Duration.ofMillis(600));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.busReady() && b.busReady());
    }

    @AfterEach
    void stop() {
        b.close();
        a.close();
        redis.close();
    }

    /** Reads a key until the cache reports it hot here. */
    static void readUntilHot(TieredCache cache, Object key) {
        await().atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    for (int i = 0; i < 50; i++) {
                        cache.lookup(key);
                    }
                    return cache.insight().hotKeys().stream().anyMatch(hot -> hot.key().equals(key.toString()) && hot.local());
                });
    }

    @Test
    void aHotKeyInACacheWithL1OffIsServedFromL1AndAnEvictOnAnotherInstanceRemovesIt() {
        TieredCache onA = a.cache("pinned", L1_OFF);
        TieredCache onB = b.cache("pinned", L1_OFF);
        onA.put("celebrity", "v1");
        onA.put("ordinary", "o1");

        readUntilHot(onB, "celebrity");
        onB.lookup("celebrity");
        assertThat(onB.insight().l1()).as("a small L1 for hot keys").isNotNull();
        assertThat(onB.insight().l1().remainingNanos("celebrity")).as("pinned for hot-keys.l1-ttl")
                .isGreaterThan(Duration.ofSeconds(20).toNanos());

        long l2Hits = onB.statistics().l2Hits();
        long l1Hits = onB.statistics().l1Hits();
        for (int i = 0; i < 200; i++) {
            assertThat(onB.lookup("celebrity").get()).isEqualTo("v1");
        }
        assertThat(onB.statistics().l1Hits() - l1Hits).isEqualTo(200);
        assertThat(onB.statistics().l2Hits()).as("no Redis read for the pinned key").isEqualTo(l2Hits);

        onB.lookup("ordinary");
        assertThat(onB.insight().l1().remainingNanos("ordinary")).as("a key that is not hot stays out of L1").isNegative();

        onA.evict("celebrity");
        await().atMost(Duration.ofSeconds(5)).until(() -> onB.insight().l1().remainingNanos("celebrity") < 0);
        assertThat(onB.lookup("celebrity")).isNull();

        onA.put("celebrity", "v2");
        await().atMost(Duration.ofSeconds(5)).until(() -> b.bus.statistics().keysReceived() >= 2);
        assertThat(onB.lookup("celebrity").get()).isEqualTo("v2");
    }

    @Test
    void hotKeysAreAnnouncedToTheOtherInstancesAndCoolDownWhenTrafficStops() {
        TieredCache onA = a.cache("announced", L1_OFF);
        TieredCache onB = b.cache("announced", L1_OFF);
        onA.put("flash-sale", "v");

        readUntilHot(onB, "flash-sale");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (int i = 0; i < 50; i++) {
                onB.lookup("flash-sale");
            }
            return onA.insight().hotKeys().stream().anyMatch(hot -> hot.key().equals("flash-sale") && hot.announced());
        });
        HotKeyStatus onAStatus = onA.insight().hotKeys().get(0);
        assertThat(onAStatus.local()).as("A never read it").isFalse();
        assertThat(onAStatus.replicated()).as("standalone Redis: no replicas").isFalse();
        assertThat(onB.insight().hotKeys()).singleElement().satisfies(onBStatus -> {
            assertThat(onBStatus.local()).isTrue();
            assertThat(onBStatus.readsPerSecond()).isGreaterThanOrEqualTo(100);
        });

        // Traffic stops: the announcement's lease runs out on A, the sliding window empties on B.
        await().atMost(Duration.ofSeconds(10)).until(() -> onA.insight().hotKeys().isEmpty() && onB.insight().hotKeys().isEmpty());
        assertThat(onB.insight().hotKeyStatistics().cooldowns()).isPositive();
        assertThat(onB.insight().hotKeyStatistics().promotions()).isPositive();
    }

    @Test
    void standaloneRedisGetsNoReplicas() {
        TieredCache cache = a.cache("standalone", L1_OFF);
        cache.put("k", "v");
        readUntilHot(cache, "k");
        cache.put("k", "v2");
        assertThat(cache.insight().hotKeyReplicas()).isZero();
        assertThat(cache.insight().replicaKeysOf("k")).isEmpty();
        assertThat((List<?>) redis.command("KEYS", "*%hot*")).isEmpty();
        assertThat(cache.lookup("k").get()).isEqualTo("v2");
    }

    @Test
    void aCacheWithHotKeysOffKeepsNoL1AndCountsNothing() {
        TieredCache cache = a.cache("off", L1_OFF.toBuilder().hotKeys(HOT.disabled()).build());
        cache.put("k", "v");
        for (int i = 0; i < 500; i++) {
            cache.lookup("k");
        }
        assertThat(cache.insight().l1()).isNull();
        assertThat(cache.insight().hotKeys()).isEmpty();
        assertThat(cache.insight().hotKeyStatistics()).isNull();
    }
}
