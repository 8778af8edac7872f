package io.github.multitiercache.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Redis that refuses writes ({@code maxmemory-policy noeviction} with no memory left): callers are
 * served, the breaker stays closed, and the log is not flooded.
 */
class RedisRejectionTests {

    @Test
    void refusedWritesAreServedFromL1WithOneWarningAndTheBreakerStaysClosed() {
        Logger logger = (Logger) LoggerFactory.getLogger(RedisTier.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (RedisServer redis = RedisServer.start(); TestRedis engine = TestRedis.standalone(redis.port(), "rj")) {
            redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
            redis.command("CONFIG", "SET", "maxmemory", "1");
            TieredCache cache = engine.cache("products", CacheSettings.defaults());

            for (int i = 0; i < 50; i++) {
                cache.put(i, "value-" + i);
                assertThat(cache.get(i, () -> "loaded").toString()).isEqualTo("value-" + i);
            }

            assertThat(engine.tier.circuitBreaker().state()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(appender.list).filteredOn(event -> event.getLevel() == Level.WARN)
                    .filteredOn(event -> event.getFormattedMessage().startsWith("Redis rejected"))
                    .singleElement()
                    .satisfies(event -> assertThat(event.getFormattedMessage()).contains("OOM")
                            .contains("further rejections are logged at DEBUG"));
        }
        finally {
            logger.detachAppender(appender);
        }
    }
}
