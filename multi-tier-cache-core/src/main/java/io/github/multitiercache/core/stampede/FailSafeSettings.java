package io.github.multitiercache.core.stampede;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether one cache serves an expired value when its loader fails or is slow.
 *
 * <p>With fail-safe on, a value stays in Redis for {@code maxStale} after its (logical) expiry;
 * reads past the expiry treat it as a miss and load, but when the loader throws or exceeds
 * {@code softTimeout}, the expired value is served instead (logged at WARN and counted) and kept
 * in L1 for a second before the loader is tried again. Past {@code maxStale} the failure surfaces.
 *
 * @param enabled whether expired values are kept and served on failure
 * @param maxStale how long after its expiry a value may still be served
 * @param softTimeout how long a caller waits for the loader when an expired value is at hand;
 *        {@link Duration#ZERO} waits for the loader. When set, the loader runs on the cache's
 *        executor and finishes (and is cached) in the background
 * @param hardTimeout the longest any caller waits for a value, stale or not, before the call
 *        fails; {@link Duration#ZERO} for no bound beyond the loader's own. When set, the loader
 *        runs on the cache's executor
 */
public record FailSafeSettings(boolean enabled, Duration maxStale, Duration softTimeout, Duration hardTimeout) {

    private static final FailSafeSettings DEFAULTS = new FailSafeSettings(false, Duration.ofMinutes(10),
            Duration.ZERO, Duration.ZERO);

    /**
     * Validates the components.
     * @throws IllegalArgumentException naming the first invalid component
     */
    public FailSafeSettings {
        Objects.requireNonNull(maxStale, "maxStale");
        Objects.requireNonNull(softTimeout, "softTimeout");
        Objects.requireNonNull(hardTimeout, "hardTimeout");
        if (maxStale.isNegative()) {
            throw new IllegalArgumentException("fail-safe.max-stale must not be negative but was " + maxStale);
        }
        if (softTimeout.isNegative()) {
            throw new IllegalArgumentException("fail-safe.soft-timeout must not be negative but was " + softTimeout);
        }
        if (hardTimeout.isNegative()) {
            throw new IllegalArgumentException("fail-safe.hard-timeout must not be negative but was " + hardTimeout);
        }
        if (!hardTimeout.isZero() && !softTimeout.isZero() && softTimeout.compareTo(hardTimeout) > 0) {
            throw new IllegalArgumentException("fail-safe.soft-timeout (" + softTimeout
                    + ") must not exceed fail-safe.hard-timeout (" + hardTimeout + ")");
        }
    }

    /**
     * The defaults: off (10 minutes of max-stale once enabled), no timeouts.
     * @return the defaults
     */
    public static FailSafeSettings defaults() {
        return DEFAULTS;
    }

    /**
     * Whether the loader runs on the executor so that a caller can stop waiting for it.
     * @return {@code true} when a soft (with fail-safe on) or hard timeout is set
     */
    public boolean timesOut() {
        return (enabled && !softTimeout.isZero()) || !hardTimeout.isZero();
    }
}
