package io.github.multitiercache.autoconfigure.health;

import java.time.Duration;

/**
 * Configuration of the {@code multiTierCache} health contributor, under
 * {@code multi-tier-cache.health}.
 */
public class MultiTierCacheHealthProperties {

    /** The prefix of these properties. */
    public static final String PREFIX = "multi-tier-cache.health";

    /**
     * Status reported while Redis is unreachable: UP (the caches keep serving from L1 and the
     * loaders, and the details say 'degraded'), DOWN, OUT_OF_SERVICE or UNKNOWN.
     */
    private String redisDownStatus = "UP";

    /** Longest the health check waits for Redis to answer PING. */
    private Duration timeout = Duration.ofMillis(500);

    public String getRedisDownStatus() {
        return redisDownStatus;
    }

    public void setRedisDownStatus(String redisDownStatus) {
        this.redisDownStatus = redisDownStatus;
    }

    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }
}
