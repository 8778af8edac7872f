package io.github.multitiercache.autoconfigure.health;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The health of the multi-tier caches: whether Redis answers PING and how fast, the state of the
 * Redis circuit breaker, and whether the invalidation channel is live.
 *
 * <p>The caches keep serving while Redis is gone (from L1 and the loaders), so an unreachable
 * Redis reports the configured status, UP by default, with {@code degraded: true} in the details.
 * An open breaker or a channel that is not live while Redis answers is reported as degraded too,
 * with status UP: both recover on their own.
 *
 * <p>PING goes through a connection from the application's {@link RedisConnectionFactory} and is
 * waited for at most the configured timeout; a connection that is known to be down is reported
 * without waiting.
 */
public final class MultiTierCacheHealthIndicator extends AbstractHealthIndicator {

    private final RedisConnectionFactory connectionFactory;

    private final @Nullable RedisTier redis;

    private final @Nullable InvalidationBus invalidationBus;

    private final Status redisDownStatus;

    private final Duration timeout;

    /**
     * Creates the indicator.
     * @param connectionFactory where PING goes
     * @param redis the Redis tier of the caches, if any
     * @param invalidationBus the invalidation bus, absent when invalidation is disabled
     * @param redisDownStatus the status reported while Redis is unreachable
     * @param timeout the longest to wait for PING
     */
    public MultiTierCacheHealthIndicator(RedisConnectionFactory connectionFactory, @Nullable RedisTier redis,
            @Nullable InvalidationBus invalidationBus, Status redisDownStatus, Duration timeout) {
        super("Multi-tier cache health check failed");
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
        this.redis = redis;
        this.invalidationBus = invalidationBus;
        this.redisDownStatus = Objects.requireNonNull(redisDownStatus, "redisDownStatus");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("multi-tier-cache.health.timeout must be positive but was " + timeout);
        }
        this.timeout = timeout;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Ping ping = ping();
        CircuitBreaker.State breaker = (redis != null) ? redis.circuitBreaker().state() : null;
        InvalidationBus bus = invalidationBus;
        boolean channelLive = bus == null || bus.isHealthy();
        boolean degraded = !ping.reachable() || (breaker != null && breaker != CircuitBreaker.State.CLOSED)
                || !channelLive;
        builder.status(ping.reachable() ? Status.UP : redisDownStatus);
        builder.withDetail("degraded", degraded);
        builder.withDetail("redis", ping.details());
        if (breaker != null) {
            builder.withDetail("circuitBreaker", breaker.name());
        }
        builder.withDetail("invalidation", invalidationDetails(bus));
    }

    private Ping ping() {
        try (RedisConnection connection = connectionFactory.getConnection()) {
            Object nativeConnection = connection.getNativeConnection();
            long start = System.nanoTime();
            if (nativeConnection instanceof BaseRedisAsyncCommands<?, ?> commands) {
                if (isDisconnected(commands)) {
                    return Ping.failed("not connected");
                }
                RedisFuture<String> reply = commands.ping();
                try {
                    reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                }
                catch (TimeoutException ex) {
                    reply.cancel(true);
                    return Ping.failed("no answer to PING within " + timeout.toMillis() + "ms");
                }
            }
            else {
                connection.ping();
            }
            return Ping.succeeded(System.nanoTime() - start);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Ping.failed("interrupted");
        }
        catch (ExecutionException ex) {
            return Ping.failed(String.valueOf((ex.getCause() != null) ? ex.getCause() : ex));
        }
        catch (RuntimeException ex) {
            return Ping.failed(ex.toString());
        }
    }

    /**
     * A disconnected Lettuce connection queues commands until it reconnects: no point in waiting.
     * Lettuce deprecates reaching the connection from its commands object but offers no other way
     * from a connection factory's native connection.
     */
    @SuppressWarnings("deprecation")
    private static boolean isDisconnected(BaseRedisAsyncCommands<?, ?> commands) {
        if (commands instanceof RedisAsyncCommands<?, ?> standalone) {
            return !standalone.getStatefulConnection().isOpen();
        }
        if (commands instanceof RedisAdvancedClusterAsyncCommands<?, ?> cluster) {
            return !cluster.getStatefulConnection().isOpen();
        }
        return false;
    }

    private static Map<String, Object> invalidationDetails(@Nullable InvalidationBus bus) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("enabled", bus != null);
        if (bus == null) {
            return details;
        }
        InvalidationStatistics statistics = bus.statistics();
        details.put("live", bus.isHealthy());
        details.put("channel", bus.settings().channel());
        details.put("peers", bus.peerCount());
        long roundTrip = statistics.lastHeartbeatRoundTripNanos();
        if (roundTrip > 0) {
            details.put("lastHeartbeatRoundTripMillis", millis(roundTrip));
        }
        long lastReceived = statistics.lastReceivedAtMillis();
        if (lastReceived > 0) {
            details.put("lastMessageReceivedAt", Instant.ofEpochMilli(lastReceived).toString());
        }
        return details;
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }

    /**
     * Parses a status code as configured, in any case.
     * @param code the code, such as {@code UP} or {@code down}
     * @return the status
     */
    static Status status(String code) {
        String upper = code.trim().toUpperCase(Locale.ROOT);
        for (Status known : new Status[] { Status.UP, Status.DOWN, Status.OUT_OF_SERVICE, Status.UNKNOWN }) {
            if (known.getCode().equals(upper)) {
                return known;
            }
        }
        throw new IllegalArgumentException("multi-tier-cache.health.redis-down-status must be one of UP, DOWN,"
                + " OUT_OF_SERVICE, UNKNOWN but was '" + code + "'");
    }

    private record Ping(boolean reachable, long latencyNanos, @Nullable String error) {

        static Ping succeeded(long latencyNanos) {
            return new Ping(true, latencyNanos, null);
        }

        static Ping failed(String error) {
            return new Ping(false, -1, error);
        }

        Map<String, Object> details() {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("reachable", reachable);
            if (reachable) {
                details.put("latencyMillis", millis(latencyNanos));
            }
            if (error != null) {
                details.put("error", error);
            }
            return details;
        }
    }
}
