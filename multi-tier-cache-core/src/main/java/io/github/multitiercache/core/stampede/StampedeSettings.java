package io.github.multitiercache.core.stampede;

import java.time.Duration;
import java.util.Objects;

/**
 * How one cache keeps concurrent misses of a key, across every instance, down to one load.
 *
 * @param enabled whether a miss in both tiers takes the per-key lock in Redis before loading;
 *        the per-key single flight inside each JVM applies either way
 * @param lease how long the lock lives when its owner neither stores nor releases it (an owner
 *        that died or paused); a load that outlives its lease is returned to its callers but not
 *        cached, since another instance may have taken over
 * @param maxWait the longest a caller waits for another instance's load before {@code onTimeout}
 *        applies
 * @param onTimeout what a caller does when {@code maxWait} passes
 */
public record StampedeSettings(boolean enabled, Duration lease, Duration maxWait, OnTimeout onTimeout) {

    private static final StampedeSettings DEFAULTS = new StampedeSettings(true, Duration.ofSeconds(10),
            Duration.ofSeconds(5), OnTimeout.LOAD);

    /**
     * Validates the components.
     * @throws IllegalArgumentException naming the first invalid component
     */
    public StampedeSettings {
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(maxWait, "maxWait");
        Objects.requireNonNull(onTimeout, "onTimeout");
        if (lease.toMillis() <= 0) {
            throw new IllegalArgumentException("stampede.lease must be at least 1ms but was " + lease);
        }
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("stampede.max-wait must not be negative but was " + maxWait);
        }
    }

    /**
     * The defaults: enabled, a 10 second lease, 5 seconds of waiting, then load.
     * @return the defaults
     */
    public static StampedeSettings defaults() {
        return DEFAULTS;
    }

    /** What a caller does when it waited {@code max-wait} for another instance's load. */
    public enum OnTimeout {
        /** Load anyway, without the lock; the value is written to Redis only if the key is still absent. */
        LOAD,
        /** Fail the call with a {@link LoadWaitTimeoutException}. */
        FAIL,
        /** Serve the stale value if one is at hand (see fail-safe), otherwise load as {@link #LOAD}. */
        STALE
    }
}
