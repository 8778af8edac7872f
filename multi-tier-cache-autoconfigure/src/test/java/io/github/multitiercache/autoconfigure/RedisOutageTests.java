package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A service keeps answering, fast and without exceptions, while its Redis is killed, stops
 * hammering it through the circuit breaker, and writes to Redis again once it is back.
 */
class RedisOutageTests {

    private static final Duration CALL_BOUND = Duration.ofSeconds(1);

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.isolated();

    private final ApplicationContextRunner contextRunner = redis.contextRunner()
            .withPropertyValues("multi-tier-cache.redis.command-timeout=100ms",
                    "multi-tier-cache.redis.failure-threshold=5",
                    "multi-tier-cache.redis.open-duration=500ms")
            .withUserConfiguration(ServiceConfiguration.class);



    @Test
    void servesFromL1AndLoaderWhileRedisIsDownAndWritesToRedisAgainAfterRestart() {
        // Without tracking: the push of the load's own write of "warm" would drop its fresh L1 copy
        // just before the outage (see docs/invalidation.md, "Writes from outside").
        contextRunner.withPropertyValues("multi-tier-cache.invalidation.tracking.enabled=false").run(context -> {
            BookService service = context.getBean(BookService.class);
            CircuitBreaker breaker = context.getBean(RedisTier.class).circuitBreaker();
            assertThat(service.find("warm")).isEqualTo("book-warm");
            assertThat(redis.probe().exists("mtc:books:warm")).isTrue();

            redis.server().kill();

            for (int i = 0; i < 30; i++) {
                String key = "cold-" + i;
                assertThat(timed(() -> service.find("warm"))).isEqualTo("book-warm");
                assertThat(timed(() -> service.find(key))).isEqualTo("book-" + key);
                assertThat(timed(() -> service.find(key))).as("L1 keeps what was loaded during the outage")
                        .isEqualTo("book-" + key);
                assertThat(service.calls(key)).isEqualTo(1);
            }
            assertThat(service.calls("warm")).as("served from L1 while Redis is down").isEqualTo(1);
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
            RedisTier.Stats stats = context.getBean(RedisTier.class).stats();
            assertThat(stats.failures()).isGreaterThanOrEqualTo(5);
            assertThat(stats.rejected()).as("the open breaker keeps calls away from Redis").isPositive();

            redis.server().restart();

            AtomicInteger attempt = new AtomicInteger();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                String key = "after-" + attempt.incrementAndGet();
                assertThat(timed(() -> service.find(key))).isEqualTo("book-" + key);
                assertThat(existsAfterRestart("mtc:books:" + key)).isTrue();
            });
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);

            // The L1 copies from before and during the outage may have missed invalidations: dropped.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                service.find("warm");
                assertThat(service.calls("warm")).isEqualTo(2);
            });
            assertThat(existsAfterRestart("mtc:books:warm")).isTrue();
        });
    }

    @Test
    void keepsOneConnectionToRedisAcrossOutages() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            CircuitBreaker breaker = context.getBean(RedisTier.class).circuitBreaker();
            service.find("first");
            // The cache's own connection, the connection factory's shared one (opened by the listener
            // container), the invalidation channel's subscription and the tracking connection; nothing per call.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(clientConnections()).isEqualTo(4));

            for (int outage = 0; outage < 2; outage++) {
                redis.server().kill();
                for (int i = 0; i < 10; i++) {
                    service.find("down-" + outage + "-" + i);
                }
                redis.server().restart();
                int round = outage;
                AtomicInteger attempt = new AtomicInteger();
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                    String key = "up-" + round + "-" + attempt.incrementAndGet();
                    service.find(key);
                    assertThat(existsAfterRestart("mtc:books:" + key)).isTrue();
                });
                assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
            }

            // Lettuce reconnects the connections it still holds; give it time to do so before counting.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(clientConnections()).isEqualTo(4));
        });
    }

    @Test
    void startsAndServesWhenRedisIsDownAtStartup() {
        redis.server().kill();
        try {
            contextRunner.run(context -> {
                assertThat(context).hasNotFailed();
                BookService service = context.getBean(BookService.class);
                for (int i = 0; i < 10; i++) {
                    String key = "cold-start-" + i;
                    assertThat(timed(() -> service.find(key))).isEqualTo("book-" + key);
                    assertThat(timed(() -> service.find(key))).isEqualTo("book-" + key);
                    assertThat(service.calls(key)).isEqualTo(1);
                }
                redis.server().restart();
                AtomicInteger attempt = new AtomicInteger();
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                    String key = "late-" + attempt.incrementAndGet();
                    service.find(key);
                    assertThat(existsAfterRestart("mtc:books:" + key)).isTrue();
                });
            });
        }
        finally {
            if (!redis.server().isRunning()) {
                redis.server().restart();
            }
        }
    }

    /**
     * Asked on a fresh connection: the cache is back within a second of the restart, when the
     * probe's own connection may still be reconnecting (or reset) with Lettuce's backoff.
     */
    private static boolean existsAfterRestart(String key) {
        return Long.valueOf(1).equals(redis.server().command("EXISTS", key));
    }

    /** Client connections to the test Redis, other than the one asking and the probe's. */
    private static long clientConnections() {
        String list = (String) redis.server().command("CLIENT", "LIST");
        return list.lines()
                .filter(line -> !line.contains("cmd=client|list"))
                .filter(line -> !line.contains("name=" + RedisProbe.CLIENT_NAME + " "))
                .count();
    }

    private static <T> T timed(Callable<T> call) throws Exception {
        long start = System.nanoTime();
        T result = call.call();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        assertThat(elapsed).as("one cached call while Redis is in trouble").isLessThan(CALL_BOUND);
        return result;
    }

    static class BookService {

        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        int calls(String id) {
            AtomicInteger count = calls.get(id);
            return (count != null) ? count.get() : 0;
        }

        @Cacheable("books")
        public String find(String id) {
            calls.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
            return "book-" + id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class ServiceConfiguration {

        @Bean
        BookService bookService() {
            return new BookService();
        }
    }
}
