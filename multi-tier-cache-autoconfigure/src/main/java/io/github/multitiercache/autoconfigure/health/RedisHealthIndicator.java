package io.github.multitiercache.autoconfigure.health;

import java.util.Objects;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code redis} health contributor while multi-tier-cache is in use, in place of Spring
 * Boot's: the same question ({@code INFO server}, or {@code CLUSTER INFO} on a cluster) and the
 * same details ({@code version}, or {@code cluster_size}, {@code slots_up}, {@code slots_fail}),
 * but
 * <ul>
 *   <li>an unreachable Redis, or a cluster whose state is {@code fail}, is reported with the
 *       configured status ({@code multi-tier-cache.health.redis-down-status}, UP by default, with
 *       {@code degraded: true} and the error in the details), since the caches keep serving from
 *       L1 and the loaders; Boot's contributor would report DOWN and turn the application's
 *       health to 503;
 *   <li>no health request waits on Redis longer than {@code multi-tier-cache.health.timeout},
 *       where Boot's waits for Lettuce's command timeout (60 seconds by default) on a hung Redis;
 *   <li>a failure is one log line, not a stack trace per request.
 * </ul>
 */
public final class RedisHealthIndicator extends AbstractHealthIndicator {

    private final RedisHealthCheck check;

    private final Status redisDownStatus;

    RedisHealthIndicator(RedisHealthCheck check, Status redisDownStatus) {
        super("Redis health check failed");
        this.check = Objects.requireNonNull(check, "check");
        this.redisDownStatus = Objects.requireNonNull(redisDownStatus, "redisDownStatus");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        RedisHealthCheck.Result result = check.check();
        builder.status(result.reachable() ? Status.UP : redisDownStatus);
        builder.withDetail("degraded", !result.reachable());
        builder.withDetails(result.details());
    }
}
