package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import io.github.multitiercache.testsupport.ConcurrentCalls;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.cache.Cache.ValueRetrievalException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Stampede protection, refresh-ahead and fail-safe of {@link TieredCache}, with two engines (two
 * instances) on one real Redis.
 */
class TieredCacheStampedeTests {

    private static RedisServer redis;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> raw;

    private TestRedis first;
    private TestRedis second;
    private String prefix;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.shared();
        client = RedisClient.create(redis.uri());
        raw = client.connect(StringCodec.UTF8);
    }

    @AfterAll
    static void closeClient() {
        raw.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }

    @BeforeEach
    void createEngines(TestInfo test) {
        prefix = "st" + Math.abs(test.getDisplayName().hashCode());
        first = TestRedis.standalone(redis.port(), prefix);
        second = TestRedis.standalone(redis.port(), prefix);
    }

    @AfterEach
    void closeEngines() {
        first.close();
        second.close();
    }

    private static CacheSettings.Builder settings() {
        return CacheSettings.defaults().toBuilder().ttlJitter(0);
    }

    @Test
    void concurrentMissesOnTwoInstancesRunTheLoaderOnce() throws Exception {
        TieredCache a = first.cache("users", settings().build());
        TieredCache b = second.cache("users", settings().build());
        AtomicInteger calls = new AtomicInteger();
        Callable<String> loader = () -> {
            calls.incrementAndGet();
            Thread.sleep(200);
            return "loaded";
        };
        List<Object> results = ConcurrentCalls.run(64, i -> ((i % 2 == 0) ? a : b).get("k", loader));
        assertThat(results).hasSize(64).containsOnly("loaded");
        assertThat(calls).hasValue(1);
        assertThat(a.stampedeStatistics().lockAcquisitions() + b.stampedeStatistics().lockAcquisitions()).isEqualTo(1);
        TieredCache waiter = (a.stampedeStatistics().lockAcquisitions() == 1) ? b : a;
        assertThat(waiter.stampedeStatistics().lockWaits()).isEqualTo(1);
        assertThat(waiter.stampedeStatistics().waitHits()).isEqualTo(1);
        assertThat(raw.sync().exists(lockKey("users", "k"))).isZero();
    }

    @Test
    void aWaiterIsWokenByTheNotificationNotByPolling() throws Exception {
        TieredCache a = first.cache("users", settings().build());
        TieredCache b = second.cache("users", settings().build());
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Object> owner = Executors.newSingleThreadExecutor().submit(() -> a.get("k", () -> {
            loading.countDown();
            release.await();
            return "v";
        }));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
        Future<Object> waiter = Executors.newSingleThreadExecutor().submit(() -> b.get("k", () -> "second"));
        // Let the waiter's fallback re-checks back off to their longest interval.
        await().atMost(Duration.ofSeconds(5)).until(() -> b.stampedeStatistics().lockWaits() == 1);
        Thread.sleep(500);
        release.countDown();
        assertThat(owner.get(5, TimeUnit.SECONDS)).isEqualTo("v");
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("v");
        assertThat(b.stampedeStatistics().notifications()).isEqualTo(1);
    }

    @Test
    void aLockWhoseOwnerDiedIsTakenOverAfterItsLease() throws Exception {
        TieredCache cache = first.cache("users", settings()
                .stampede(new StampedeSettings(true, Duration.ofSeconds(10), Duration.ofSeconds(5),
                        StampedeSettings.OnTimeout.FAIL))
                .build());
        // A lock held by an instance that died: it is never released, only its lease ends.
        raw.sync().set(lockKey("users", "k"), "foreign-token", SetArgs.Builder.px(800));
        long start = System.nanoTime();
        assertThat(cache.get("k", () -> "mine")).isEqualTo("mine");
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // Not before the lease ends; well before max-wait (5 s), even on a starved machine.
        assertThat(waitedMillis).isBetween(700L, 800L + 3000L);
        assertThat(cache.stampedeStatistics().takeovers()).isEqualTo(1);
        assertThat(second.cache("users", settings().build()).get("k", () -> "other")).isEqualTo("mine");
    }

    @Test
    void aWaitBeyondMaxWaitFailsWhenConfiguredSo() {
        TieredCache cache = first.cache("users", settings()
                .stampede(new StampedeSettings(true, Duration.ofSeconds(10), Duration.ofMillis(300),
                        StampedeSettings.OnTimeout.FAIL))
                .build());
        raw.sync().set(lockKey("users", "k"), "foreign-token", SetArgs.Builder.px(10_000));
        long start = System.nanoTime();
        assertThatThrownBy(() -> cache.get("k", () -> "mine")).isInstanceOf(ValueRetrievalException.class)
                .hasRootCauseMessage("Gave up waiting for the load of key 'k' of cache 'users' by another instance after 300ms");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(300L, 1300L);
        assertThat(cache.stampedeStatistics().fallbackFailures()).isEqualTo(1);
    }

    @Test
    void aWaitBeyondMaxWaitLoadsWithoutTheLockByDefault() {
        TieredCache cache = first.cache("users", settings()
                .stampede(new StampedeSettings(true, Duration.ofSeconds(10), Duration.ofMillis(300),
                        StampedeSettings.OnTimeout.LOAD))
                .build());
        raw.sync().set(lockKey("users", "k"), "foreign-token", SetArgs.Builder.px(10_000));
        assertThat(cache.get("k", () -> "mine")).isEqualTo("mine");
        assertThat(cache.stampedeStatistics().fallbackLoads()).isEqualTo(1);
        assertThat(raw.sync().get(lockKey("users", "k"))).isEqualTo("foreign-token");
    }

    @Test
    void aLoadOvertakenByAnEvictOnAnotherInstanceIsCachedNowhere() throws Exception {
        raceWithWrite((cache, key) -> cache.evict(key), null);
    }

    @Test
    void aLoadOvertakenByAPutOnAnotherInstanceDoesNotOverwriteThePut() throws Exception {
        raceWithWrite((cache, key) -> cache.put(key, "new"), "new");
    }

    @Test
    void aLoadOvertakenByAPutIfAbsentOnAnotherInstanceDoesNotOverwriteIt() throws Exception {
        raceWithWrite((cache, key) -> assertThat(cache.putIfAbsent(key, "new")).isNull(), "new");
    }

    @Test
    void aLoadOvertakenByAClearOnAnotherInstanceIsCachedNowhere() throws Exception {
        raceWithWrite((cache, key) -> cache.clear(), null);
    }

    private void raceWithWrite(java.util.function.BiConsumer<TieredCache, String> write, String expected)
            throws Exception {
        TieredCache a = first.cache("users", settings().build());
        TieredCache b = second.cache("users", settings().build());
        CountDownLatch loaderRead = new CountDownLatch(1);
        CountDownLatch writeDone = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            // 1. The load starts and reads the old state.
            Future<Object> load = pool.submit(() -> a.get("k", () -> {
                loaderRead.countDown();
                writeDone.await();
                return "old";
            }));
            assertThat(loaderRead.await(5, TimeUnit.SECONDS)).isTrue();
            // 2. Another instance writes or evicts the key.
            write.accept(b, "k");
            writeDone.countDown();
            // 3. The load finishes: its callers get what it read, but nobody caches it.
            assertThat(load.get(5, TimeUnit.SECONDS)).isEqualTo("old");
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(a.stampedeStatistics().rejectedStores()).isEqualTo(1);
        assertThat(a.insight().l1().get("k")).isNull();
        String stored = raw.sync().get(prefix + ":users:k");
        if (expected == null) {
            assertThat(stored).isNull();
            assertThat(b.insight().l1().get("k")).isNull();
        }
        else {
            assertThat(stored).contains(expected).doesNotContain("old");
        }
        assertThat(a.get("k", () -> "reloaded")).isEqualTo(expected != null ? expected : "reloaded");
    }

    @Test
    void aFailedLoadReleasesTheLockAtOnce() {
        TieredCache cache = first.cache("users", settings().build());
        assertThatThrownBy(() -> cache.get("k", () -> {
            throw new IllegalStateException("down");
        })).isInstanceOf(ValueRetrievalException.class);
        assertThat(raw.sync().exists(lockKey("users", "k"))).isZero();
        assertThat(second.cache("users", settings().build()).get("k", () -> "v")).isEqualTo("v");
    }

    @Test
    void failSafeServesTheExpiredValueWhenTheLoaderFailsUntilMaxStale() throws Exception {
        CacheSettings failSafe = settings().l1Enabled(false).l2Ttl(Duration.ofMillis(300))
                .failSafe(new FailSafeSettings(true, Duration.ofMillis(1500), Duration.ZERO, Duration.ZERO))
                .build();
        TieredCache cache = first.cache("prices", failSafe);
        assertThat(cache.get("k", () -> "v1")).isEqualTo("v1");
        assertThat(raw.sync().pttl(prefix + ":prices:k")).isGreaterThan(1000);
        Thread.sleep(400);
        Callable<String> failing = () -> {
            throw new IllegalStateException("database down");
        };
        assertThat(cache.lookup("k")).as("an expired value is a miss").isNull();
        assertThat(cache.get("k", failing)).isEqualTo("v1");
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(1);
        assertThat(raw.sync().exists(lockKey("prices", "k"))).isZero();
        await().atMost(Duration.ofSeconds(3)).until(() -> raw.sync().exists(prefix + ":prices:k") == 0);
        assertThatThrownBy(() -> cache.get("k", failing)).isInstanceOf(ValueRetrievalException.class)
                .hasRootCauseMessage("database down");
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(1);
    }

    @Test
    void failSafeServesTheExpiredValueWhenTheLoaderExceedsTheSoftTimeoutAndCachesItsResultLater()
            throws Exception {
        CacheSettings failSafe = settings().l1Enabled(false).l2Ttl(Duration.ofMillis(300))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ZERO))
                .build();
        TieredCache cache = first.cache("prices", failSafe);
        cache.get("k", () -> "v1");
        Thread.sleep(400);
        long start = System.nanoTime();
        assertThat(cache.get("k", () -> {
            Thread.sleep(2000);
            return "v2";
        })).isEqualTo("v1");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1500);
        assertThat(cache.stampedeStatistics().softTimeouts()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(cache.get("k", () -> "v3")));
    }

    @Test
    void aHardTimeoutBoundsTheWaitWithoutAStaleValue() {
        CacheSettings bounded = settings()
                .failSafe(new FailSafeSettings(false, Duration.ofMinutes(1), Duration.ZERO, Duration.ofMillis(200)))
                .build();
        TieredCache cache = first.cache("slow", bounded);
        long start = System.nanoTime();
        assertThatThrownBy(() -> cache.get("k", () -> {
            Thread.sleep(2000);
            return "late";
        })).isInstanceOf(ValueRetrievalException.class).hasRootCauseInstanceOf(
                io.github.multitiercache.core.stampede.LoadWaitTimeoutException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
        assertThat(cache.stampedeStatistics().hardTimeouts()).isEqualTo(1);
    }

    @Test
    void refreshAheadReloadsOnceInTheBackgroundWhileCallersGetTheCurrentValue() throws Exception {
        CacheSettings refreshing = settings().l1Enabled(false).l2Ttl(Duration.ofSeconds(2))
                .refresh(new RefreshSettings(RefreshSettings.Mode.FIXED, 0.25, 1.0))
                .build();
        TieredCache a = first.cache("rates", refreshing);
        TieredCache b = second.cache("rates", refreshing);
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch refreshStarted = new CountDownLatch(1);
        CountDownLatch refreshProceeds = new CountDownLatch(1);
        Callable<String> loader = () -> {
            int call = calls.incrementAndGet();
            if (call > 1) {
                refreshStarted.countDown();
                refreshProceeds.await(10, TimeUnit.SECONDS);
            }
            return "v" + call;
        };
        assertThat(a.get("k", loader)).isEqualTo("v1");
        Thread.sleep(600);
        // The refresh blocks until released: callers that waited for it would not return.
        List<Object> results = ConcurrentCalls.run(40, i -> ((i % 2 == 0) ? a : b).get("k", loader));
        assertThat(results).containsOnly("v1");
        assertThat(refreshStarted.await(5, TimeUnit.SECONDS)).isTrue();
        refreshProceeds.countDown();
        await().atMost(Duration.ofSeconds(3)).until(() -> "v2".equals(a.get("k", loader)));
        assertThat(calls).hasValue(2);
        assertThat(a.stampedeStatistics().refreshes() + b.stampedeStatistics().refreshes()).isEqualTo(1);
    }

    @Test
    void withoutRedisTheLoaderRunsWithoutTheLock() {
        TieredCache cache = first.cache("users", settings().build());
        first.tier.circuitBreaker().onFailure();
        first.tier.circuitBreaker().onFailure();
        first.tier.circuitBreaker().onFailure();
        assertThat(first.tier.isAvailable()).isFalse();
        assertThat(cache.get("k", () -> "v")).isEqualTo("v");
        assertThat(cache.stampedeStatistics().lockBypasses()).isEqualTo(1);
    }

    private String lockKey(String cache, String key) {
        return "{" + prefix + ":" + cache + ":" + key + "}:lock";
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
