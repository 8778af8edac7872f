package io.github.multitiercache.core.stampede;

import java.util.Objects;

/**
 * When one cache refreshes a value in the background before it expires, while callers keep
 * getting the current value.
 *
 * @param mode when a refresh starts
 * @param aheadFraction for {@link Mode#FIXED}: the fraction of the entry's TTL after which a read
 *        starts a refresh, in {@code (0, 1)}
 * @param xfetchBeta for {@link Mode#XFETCH}: how eagerly to refresh; 1.0 is the optimum of the
 *        XFetch paper, larger refreshes earlier
 */
public record RefreshSettings(Mode mode, double aheadFraction, double xfetchBeta) {

    private static final RefreshSettings DEFAULTS = new RefreshSettings(Mode.NONE, 0.8, 1.0);

    /**
     * Validates the components.
     * @throws IllegalArgumentException naming the first invalid component
     */
    public RefreshSettings {
        Objects.requireNonNull(mode, "mode");
        if (!(aheadFraction > 0 && aheadFraction < 1)) {
            throw new IllegalArgumentException("refresh.ahead-fraction must be in (0, 1) but was " + aheadFraction);
        }
        if (!(xfetchBeta > 0) || Double.isInfinite(xfetchBeta)) {
            throw new IllegalArgumentException("refresh.xfetch-beta must be positive but was " + xfetchBeta);
        }
    }

    /**
     * The defaults: no refresh-ahead (fraction 0.8 and beta 1.0 once a mode is chosen).
     * @return the defaults
     */
    public static RefreshSettings defaults() {
        return DEFAULTS;
    }

    /**
     * Whether a read of an entry should start a refresh.
     * @param writtenAtMillis when the entry was written (epoch millis)
     * @param expiresAtMillis when it expires (epoch millis), {@code Long.MAX_VALUE} for never
     * @param loadMillis how long its load took, 0 when unknown
     * @param nowMillis the current time (epoch millis)
     * @param random a uniform random number in {@code (0, 1]}, used by {@link Mode#XFETCH}
     * @return {@code true} when the entry is due for a refresh
     */
    public boolean isDue(long writtenAtMillis, long expiresAtMillis, int loadMillis, long nowMillis, double random) {
        if (expiresAtMillis == Long.MAX_VALUE || nowMillis >= expiresAtMillis) {
            return false;
        }
        return switch (mode) {
            case NONE -> false;
            case FIXED -> nowMillis >= writtenAtMillis + (long) ((expiresAtMillis - writtenAtMillis) * aheadFraction);
            case XFETCH -> nowMillis - loadMillis * xfetchBeta * Math.log(random) >= expiresAtMillis;
        };
    }

    /** When a refresh starts. */
    public enum Mode {
        /** Never: a value is loaded again only after it expired. */
        NONE,
        /** On the first read after {@code ahead-fraction} of the entry's TTL. */
        FIXED,
        /**
         * Probabilistically, earlier for values that took long to load: on a read at time
         * {@code now} when {@code now - loadTime * beta * ln(random()) >= expiry} (Vattani et al., VLDB 2015).
         */
        XFETCH
    }
}
