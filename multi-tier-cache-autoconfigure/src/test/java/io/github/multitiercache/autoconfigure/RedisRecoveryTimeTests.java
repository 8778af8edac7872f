package io.github.multitiercache.autoconfigure;

import java.time.Duration;

import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * After an outage long enough for Lettuce's reconnect backoff to have grown to several seconds,
 * the cache's writes reach Redis again within {@value #TARGET_MILLIS} ms of Redis's return, with
 * the default settings of the cache, of Boot and of Lettuce.
 */
class RedisRecoveryTimeTests {

    /** The promise of docs/operations.md. */
    private static final long TARGET_MILLIS = 2_000;

    /** Scheduling noise on a busy two-core machine; Lettuce's backoff alone would take 6 s here. */
    private static final long MARGIN_MILLIS = 500;

    private static final Duration OUTAGE = Duration.ofSeconds(10);

    private static final Duration WRITE_INTERVAL = Duration.ofMillis(50);

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.isolated();

    private final ApplicationContextRunner contextRunner = redis.contextRunner()
            .withUserConfiguration(CachingConfiguration.class);

    @Test
    void writesReachRedisWithinTwoSecondsOfItsReturnAfterATenSecondOutage() {
        contextRunner.run(context -> {
            MultiTierCache books = context.getBean(MultiTierCacheManager.class).getCache("books");
            CircuitBreaker breaker = context.getBean(RedisTier.class).circuitBreaker();
            books.put("before", "value");
            assertThat(redis.server().command("EXISTS", "mtc:books:before")).isEqualTo(1L);

            redis.server().kill();
            long outageEnd = System.nanoTime() + OUTAGE.toNanos();
            int written = 0;
            while (System.nanoTime() - outageEnd < 0) {
                // Writes keep coming during the outage, as in a live service: they open the breaker.
                books.put("down-" + written++, "value");
                Thread.sleep(WRITE_INTERVAL.toMillis());
            }
            assertThat(breaker.state()).isNotEqualTo(CircuitBreaker.State.CLOSED);

            redis.server().restart();
            long back = System.nanoTime();
            long deadline = back + Duration.ofSeconds(40).toNanos();
            Long firstWriteMillis = null;
            for (int attempt = 0; firstWriteMillis == null && System.nanoTime() - deadline < 0; attempt++) {
                String key = "up-" + attempt;
                long start = System.nanoTime();
                books.put(key, "value");
                // A fresh administrative connection: a client of our own would have a backoff too.
                if (Long.valueOf(1).equals(redis.server().command("EXISTS", "mtc:books:" + key))) {
                    firstWriteMillis = Duration.ofNanos(start - back).toMillis();
                }
                else {
                    Thread.sleep(WRITE_INTERVAL.toMillis());
                }
            }
            System.out.println("First cache write in Redis " + firstWriteMillis + " ms after Redis was back");
            assertThat(firstWriteMillis).as("milliseconds from Redis's return to the first cache write in it")
                    .isNotNull().isLessThanOrEqualTo(TARGET_MILLIS + MARGIN_MILLIS);
        });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingConfiguration {
    }
}
