package io.github.multitiercache.autoconfigure.health;

import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The {@link RedisHealthCheck} of each {@link RedisConnectionFactory}, shared by every health
 * contributor that asks about it, and the daemon threads their questions run on (one per Redis
 * that has a question pending, no more). Closed with the application context.
 */
final class RedisHealthChecks implements AutoCloseable {

    private final Duration timeout;
    private final Map<RedisConnectionFactory, RedisHealthCheck> checks = new IdentityHashMap<>();
    private final ExecutorService executor;

    /**
     * @param timeout the longest a health request waits for Redis, positive
     * @throws IllegalArgumentException when the timeout is not positive
     */
    RedisHealthChecks(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("multi-tier-cache.health.timeout must be positive but was " + timeout);
        }
        this.timeout = timeout;
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "mtc-health-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * @param connectionFactory a connection factory
     * @return the one check of that factory
     */
    synchronized RedisHealthCheck of(RedisConnectionFactory connectionFactory) {
        return checks.computeIfAbsent(connectionFactory,
                factory -> new RedisHealthCheck(factory, executor, timeout, System::nanoTime));
    }

    Duration timeout() {
        return timeout;
    }

    @Override
    public void close() {
        // A question blocked on a hung Redis must not hold the shutdown.
        executor.shutdownNow();
    }
}
