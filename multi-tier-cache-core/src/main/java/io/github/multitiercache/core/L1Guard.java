package io.github.multitiercache.core;

/**
 * Decides whether L1 entries may be served, for every cache of one manager.
 *
 * <p>Every L1 entry records the guard's epoch when its value was read from Redis or loaded; an
 * entry is served only while the guard is still in that epoch. Bumping the epoch therefore drops
 * every L1 entry at once, in O(1), which is what an instance does when it may have missed an
 * invalidation. The check on the L1 hit path is one volatile read.
 *
 * <p>While the invalidation channel is not known to be healthy the guard is <em>degraded</em>: new
 * L1 entries live at most {@link #degradedTtlMillis()} (0: L1 is not used at all), which bounds
 * how long an instance can serve a value another instance has replaced. Client-side tracking, which
 * reports writes made outside the library, distrusts L1 the same way while its connections are not
 * known to be healthy ({@link #setTrackingDegraded(boolean)}); L1 entries are capped while either is.
 */
public final class L1Guard {

    private volatile int epoch;
    private volatile boolean degraded;
    private volatile boolean trackingDegraded;
    private final long degradedTtlMillis;

    /**
     * Creates a guard in the healthy state.
     * @param degradedTtlMillis the longest life of an L1 entry written while degraded; 0 keeps L1
     *        unused while degraded
     */
    public L1Guard(long degradedTtlMillis) {
        if (degradedTtlMillis < 0) {
            throw new IllegalArgumentException("degraded L1 TTL must not be negative but was " + degradedTtlMillis);
        }
        this.degradedTtlMillis = degradedTtlMillis;
    }

    /**
     * A guard that is never degraded, for a single instance without invalidation.
     * @return a new guard
     */
    public static L1Guard alwaysTrusted() {
        return new L1Guard(0);
    }

    /** @return the current epoch; entries of other epochs are not served */
    public int epoch() {
        return epoch;
    }

    /** Drops every L1 entry of every cache (they are no longer served). */
    public void invalidateAll() {
        epoch++;
    }

    /**
     * Enters or leaves the degraded state. Either transition also drops every L1 entry: entries
     * written while degraded may have missed invalidations too.
     * @param degraded whether the invalidation channel is unhealthy
     */
    public synchronized void setDegraded(boolean degraded) {
        if (this.degraded != degraded) {
            this.degraded = degraded;
            epoch++;
        }
    }

    /** @return whether the invalidation channel is currently not trusted */
    public boolean isDegraded() {
        return degraded;
    }

    /**
     * Enters or leaves the degraded state of client-side tracking, independently of the channel's:
     * L1 entries are capped while either is degraded. Either transition drops every L1 entry.
     * @param degraded whether a tracking connection is unhealthy
     */
    public synchronized void setTrackingDegraded(boolean degraded) {
        if (this.trackingDegraded != degraded) {
            this.trackingDegraded = degraded;
            epoch++;
        }
    }

    /** @return whether client-side tracking is currently not trusted */
    public boolean isTrackingDegraded() {
        return trackingDegraded;
    }

    /** @return the longest life of an L1 entry written while degraded */
    public long degradedTtlMillis() {
        return degradedTtlMillis;
    }

    /**
     * Caps an L1 TTL according to the current state.
     * @param ttlMillis the TTL the cache would use
     * @return the TTL to use; 0 means do not write L1
     */
    long capTtl(long ttlMillis) {
        return (degraded || trackingDegraded) ? Math.min(ttlMillis, degradedTtlMillis) : ttlMillis;
    }
}
