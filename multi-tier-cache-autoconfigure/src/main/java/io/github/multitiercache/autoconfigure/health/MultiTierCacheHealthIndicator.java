package io.github.multitiercache.autoconfigure.health;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The health of the multi-tier caches: whether Redis answers and how fast, the state of the
 * Redis circuit breaker, and whether the invalidation channel is live.
 *
 * <p>The caches keep serving while Redis is gone (from L1 and the loaders), so an unreachable
 * Redis reports the configured status, UP by default, with {@code degraded: true} in the details.
 * An open breaker or a channel that is not live while Redis answers is reported as degraded too,
 * with status UP: both recover on their own.
 *
 * <p>Redis is asked through the application's {@link RedisConnectionFactory}, on a thread of its
 * own, and waited for at most {@code multi-tier-cache.health.timeout}; the {@code redis}
 * contributor asks the same question, so one health request asks Redis once.
 */
public final class MultiTierCacheHealthIndicator extends AbstractHealthIndicator {

    private final RedisHealthCheck check;

    private final @Nullable RedisTier redis;

    private final @Nullable InvalidationBus invalidationBus;

    private final Status redisDownStatus;

    MultiTierCacheHealthIndicator(RedisHealthCheck check, @Nullable RedisTier redis,
            @Nullable InvalidationBus invalidationBus, Status redisDownStatus) {
        super("Multi-tier cache health check failed");
        this.check = Objects.requireNonNull(check, "check");
        this.redis = redis;
        this.invalidationBus = invalidationBus;
        this.redisDownStatus = Objects.requireNonNull(redisDownStatus, "redisDownStatus");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        RedisHealthCheck.Result ping = check.check();
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
            details.put("lastHeartbeatRoundTripMillis", RedisHealthCheck.millis(roundTrip));
        }
        long lastReceived = statistics.lastReceivedAtMillis();
        if (lastReceived > 0) {
            details.put("lastMessageReceivedAt", Instant.ofEpochMilli(lastReceived).toString());
        }
        return details;
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
}
