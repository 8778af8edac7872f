package io.github.multitiercache.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Asynchronous loads ({@link TieredCache#retrieve(Object, Supplier)}, what {@code CompletableFuture}
 * and {@code Mono} methods go through) get the fleet-wide lease, fail-safe and refresh-ahead of
 * synchronous ones, with two engines (two instances) on one real Redis, and no thread parked per
 * waiting caller.
 */
class AsyncLoadTests {

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
        prefix = "as" + Math.abs(test.getDisplayName().hashCode());
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

    /** A loader whose future the test completes, counting its calls. */
    private static final class HeldLoader implements Supplier<CompletableFuture<String>> {

        final AtomicInteger calls = new AtomicInteger();
        final CompletableFuture<String> result = new CompletableFuture<>();

        @Override
        public CompletableFuture<String> get() {
            calls.incrementAndGet();
            return result;
        }
    }

    @Test
    void asynchronousMissesOnTwoInstancesRunTheLoaderOnceWithoutParkingAThreadPerCaller() throws Exception {
        TieredCache a = first.cache("users", settings().build());
        TieredCache b = second.cache("users", settings().build());
        HeldLoader loader = new HeldLoader();
        List<CompletableFuture<String>> calls = new ArrayList<>();
        long start = System.nanoTime();
        // 2 instances x 50 callers, all started from this one thread: none of them may block it.
        for (int i = 0; i < 100; i++) {
            calls.add(((i % 2 == 0) ? a : b).retrieve("k", loader));
        }
        long startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(startMillis).as("starting 100 asynchronous reads").isLessThan(1_000);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(loader.calls).hasValue(1));
        // The other instance waits for the lease: it never starts a load of its own.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .untilAsserted(() -> assertThat(loader.calls).hasValue(1));
        assertThat(calls).noneMatch(CompletableFuture::isDone);

        loader.result.complete("loaded");
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        assertThat(calls).allSatisfy(call -> assertThat(call.join()).isEqualTo("loaded"));
        assertThat(loader.calls).hasValue(1);
        assertThat(a.stampedeStatistics().lockAcquisitions() + b.stampedeStatistics().lockAcquisitions())
                .isEqualTo(1);
        TieredCache waiter = (a.stampedeStatistics().lockAcquisitions() == 1) ? b : a;
        assertThat(waiter.stampedeStatistics().lockWaits()).isEqualTo(1);
        assertThat(waiter.stampedeStatistics().waitHits()).isEqualTo(1);
        assertThat(raw.sync().exists(lockKey("users", "k"))).isZero();
        assertThat(raw.sync().exists(prefix + ":users:k")).isEqualTo(1);
    }

    @Test
    void aFailedAsynchronousLoadReleasesTheLeaseAndAWaitingInstanceTakesOver() throws Exception {
        TieredCache a = first.cache("users", settings().build());
        TieredCache b = second.cache("users", settings().build());
        HeldLoader failing = new HeldLoader();
        CompletableFuture<String> owner = a.retrieve("k", failing);
        await().atMost(Duration.ofSeconds(5)).until(() -> raw.sync().exists(lockKey("users", "k")) == 1);
        AtomicInteger takeovers = new AtomicInteger();
        CompletableFuture<String> waiter = b.retrieve("k", () -> {
            takeovers.incrementAndGet();
            return CompletableFuture.completedFuture("from b");
        });
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !waiter.isDone());

        failing.result.completeExceptionally(new IllegalStateException("database down"));
        assertThatThrownBy(() -> owner.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("database down");
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("from b");
        assertThat(takeovers).hasValue(1);
        assertThat(b.stampedeStatistics().takeovers()).isEqualTo(1);
        assertThat(a.retrieve("k", () -> CompletableFuture.completedFuture("again")).get(5, TimeUnit.SECONDS))
                .isEqualTo("from b");
    }

    @Test
    void anAsynchronousLoadThatFailsServesTheExpiredValueWithFailSafe() throws Exception {
        CacheSettings failSafe = settings().l1Enabled(false).l2Ttl(Duration.ofMillis(300))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(5), Duration.ZERO, Duration.ZERO))
                .build();
        TieredCache cache = first.cache("prices", failSafe);
        assertThat(cache.retrieve("k", () -> CompletableFuture.completedFuture("v1")).get(5, TimeUnit.SECONDS))
                .isEqualTo("v1");
        Thread.sleep(400);
        CompletableFuture<String> served = cache.retrieve("k",
                () -> CompletableFuture.failedFuture(new IllegalStateException("database down")));
        assertThat(served.get(5, TimeUnit.SECONDS)).isEqualTo("v1");
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(1);
        assertThat(raw.sync().exists(lockKey("prices", "k"))).isZero();
    }

    @Test
    void anAsynchronousLoadSlowerThanTheSoftTimeoutServesTheExpiredValueAndIsCachedWhenItCompletes()
            throws Exception {
        CacheSettings failSafe = settings().l1Enabled(false).l2Ttl(Duration.ofMillis(300))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ZERO))
                .build();
        TieredCache cache = first.cache("prices", failSafe);
        cache.retrieve("k", () -> CompletableFuture.completedFuture("v1")).get(5, TimeUnit.SECONDS);
        Thread.sleep(400);
        HeldLoader slow = new HeldLoader();
        long start = System.nanoTime();
        assertThat(cache.retrieve("k", slow).get(5, TimeUnit.SECONDS)).isEqualTo("v1");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_500);
        assertThat(cache.stampedeStatistics().softTimeouts()).isEqualTo(1);
        slow.result.complete("v2");
        await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(
                cache.retrieve("k", () -> CompletableFuture.completedFuture("v3")).get(5, TimeUnit.SECONDS)));
    }

    @Test
    void refreshAheadReloadsAnAsynchronousValueOnceInTheBackground() throws Exception {
        CacheSettings refreshing = settings().l1Enabled(false).l2Ttl(Duration.ofSeconds(2))
                .refresh(new RefreshSettings(RefreshSettings.Mode.FIXED, 0.5, 1.0)).build();
        TieredCache a = first.cache("stock", refreshing);
        TieredCache b = second.cache("stock", refreshing);
        assertThat(a.retrieve("k", () -> CompletableFuture.completedFuture("v1")).get(5, TimeUnit.SECONDS))
                .isEqualTo("v1");
        Thread.sleep(1_200);
        HeldLoader reload = new HeldLoader();
        List<CompletableFuture<String>> reads = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            reads.add(((i % 2 == 0) ? a : b).retrieve("k", reload));
        }
        for (CompletableFuture<String> read : reads) {
            assertThat(read.get(5, TimeUnit.SECONDS)).as("served the current value meanwhile").isEqualTo("v1");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(reload.calls).hasValue(1));
        reload.result.complete("v2");
        await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(
                b.retrieve("k", () -> CompletableFuture.completedFuture("v3")).get(5, TimeUnit.SECONDS)));
        assertThat(reload.calls).hasValue(1);
        assertThat(a.stampedeStatistics().refreshes() + b.stampedeStatistics().refreshes()).isEqualTo(1);
    }

    private String lockKey(String cache, String key) {
        return "{" + prefix + ":" + cache + ":" + key + "}:lock";
    }
}
