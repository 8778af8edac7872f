package io.github.multitiercache.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.testsupport.FaultProxy;
import io.github.multitiercache.testsupport.RedisServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache.ValueWrapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Callers keep being served, fast and without exceptions, while a real Redis process is killed,
 * paused and restarted.
 */
class RedisOutageTests {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(150);

    private RedisServer redis;
    private TestRedis engine;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        engine = TestRedis.standalone(redis.port(), "o", COMMAND_TIMEOUT, InvalidationPublisher.NONE);
    }

    @AfterEach
    void stop() {
        engine.close();
        redis.close();
    }

    @Test
    void killedRedisServesFromL1AndLoaderWithoutExceptionsAndWithBoundedLatency() {
        TieredCache cache = engine.cache("outage", CacheSettings.defaults());
        cache.get("warm", () -> "cached");
        redis.kill();

        AtomicInteger loads = new AtomicInteger();
        long worstNanos = 0;
        for (int i = 0; i < 200; i++) {
            long start = System.nanoTime();
            assertThat(cache.get("warm", () -> "reloaded")).isEqualTo("cached");
            assertThat(cache.get("cold-" + i, () -> "loaded-" + loads.incrementAndGet())).startsWith("loaded-");
            worstNanos = Math.max(worstNanos, System.nanoTime() - start);
        }
        assertThat(loads).hasValue(200);
        // Two commands at most may wait out the timeout before the breaker (or a dead socket) cuts them short.
        assertThat(TimeUnit.NANOSECONDS.toMillis(worstNanos)).isLessThan(2 * COMMAND_TIMEOUT.toMillis() + 200);
        assertThat(engine.tier.circuitBreaker().state()).isNotEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void pausedRedisTimesOutWithinTheCommandTimeoutAndOpensTheBreaker() {
        TieredCache cache = engine.cache("paused", CacheSettings.defaults().toBuilder().l1Enabled(false).build());
        redis.pause();
        try {
            long start = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                assertThat(cache.get("k" + i, () -> "v")).isEqualTo("v");
            }
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // 3 failures open the breaker; each costs at most one timeout, the rest go straight to the loader.
            assertThat(elapsedMillis).isLessThan(6 * COMMAND_TIMEOUT.toMillis() + 500);
            assertThat(engine.tier.circuitBreaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(engine.tier.stats().timeouts()).isGreaterThanOrEqualTo(1);
        }
        finally {
            redis.resume();
        }
    }

    @Test
    void anAsynchronousReadOfAPausedRedisEndsAsAMissOnceTheCommandTimeoutHasPassed() throws Exception {
        TieredCache cache = engine.cache("paused-async", CacheSettings.defaults().toBuilder().l1Enabled(false).build());
        assertThat(cache.get("warm", () -> "v")).isEqualTo("v");
        redis.pause();
        try {
            long start = System.nanoTime();
            CompletableFuture<@Nullable ValueWrapper> read = cache.retrieve("k");
            assertThat(read).isNotNull();
            assertThat(read.get(5, TimeUnit.SECONDS)).isNull();
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // Never before the timeout; after it by at most a tick of the deadline wheel and scheduling.
            assertThat(elapsedMillis).isBetween(COMMAND_TIMEOUT.toMillis(), COMMAND_TIMEOUT.toMillis() + 500);
            assertThat(engine.tier.stats().timeouts()).isEqualTo(1);
        }
        finally {
            redis.resume();
        }
    }

    @Test
    void afterRestartWritesReachRedisAgainAndL1IsDropped() {
        TieredCache cache = engine.cache("recover", CacheSettings.defaults());
        cache.get("k", () -> "before");
        redis.kill();
        for (int i = 0; i < 5; i++) {
            cache.get("x" + i, () -> "during");
        }
        assertThat(engine.tier.circuitBreaker().state()).isNotEqualTo(CircuitBreaker.State.CLOSED);
        redis.restart();

        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            cache.put("after", "written");
            assertThat(redis.command("EXISTS", "o:recover:after")).isEqualTo(1L);
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> cache.insight().l1().remainingNanos("k") < 0);
        assertThat(cache.get("k", () -> "reloaded")).isEqualTo("reloaded");
    }

    @Test
    void anEvictThatCouldNotReachRedisIsReplayedWhenRedisRecovers() {
        try (FaultProxy proxy = FaultProxy.start(redis.host(), redis.port());
                TestRedis throughProxy = TestRedis.standalone(proxy.port(), "o", COMMAND_TIMEOUT,
                        InvalidationPublisher.NONE)) {
            TieredCache cache = throughProxy.cache("replay", CacheSettings.defaults());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                cache.put("k", "old");
                assertThat(redis.command("EXISTS", "o:replay:k")).isEqualTo(1L);
            });
            proxy.blackhole();
            for (int i = 0; i < 4; i++) {
                cache.evict("k");
            }
            // The partition ends with the connection reset: the UNLINKs never reached Redis.
            proxy.cutConnections();
            proxy.restore();
            assertThat(redis.command("EXISTS", "o:replay:k")).isEqualTo(1L);

            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                cache.lookup("probe");
                assertThat(redis.command("EXISTS", "o:replay:k")).isEqualTo(0L);
            });
            assertThat(cache.get("k", () -> "new")).isEqualTo("new");
        }
    }

    @Test
    void aPutWhoseWriteWasLostDeletesTheReplacedValueFromRedisPromptlyWhileTheBreakerStaysClosed() {
        try (FaultProxy proxy = FaultProxy.start(redis.host(), redis.port());
                TestRedis throughProxy = TestRedis.standalone(proxy.port(), "o", COMMAND_TIMEOUT,
                        InvalidationPublisher.NONE)) {
            TieredCache cache = throughProxy.cache("lost", CacheSettings.defaults());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                cache.put("k", "old");
                assertThat(redis.command("EXISTS", "o:lost:k")).isEqualTo(1L);
            });
            proxy.blackhole();
            // The SET times out, and so does the delete that should then remove the replaced value:
            // two failures, fewer than the breaker's threshold.
            cache.put("k", "new");
            // The first retry is 50 ms away: the breaker has seen two failures, fewer than its threshold.
            assertThat(throughProxy.tier.circuitBreaker().state()).isEqualTo(CircuitBreaker.State.CLOSED);
            proxy.cutConnections();
            proxy.restore();

            // No further call reaches the cache: what Redis is owed is paid on its own, within about a
            // second of Redis accepting commands again (the retry backoff is capped at 500 ms).
            long restored = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Long.valueOf(0L).equals(redis.command("EXISTS", "o:lost:k")));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restored)).isLessThan(2_000);
            // L1 may have been dropped meanwhile (retries that fail count against the breaker, and its
            // recovery drops L1); the replaced value is never served again.
            assertThat(cache.get("k", () -> "reloaded")).isNotEqualTo("old");
        }
    }
}
