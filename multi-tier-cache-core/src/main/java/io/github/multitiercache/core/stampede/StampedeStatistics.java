package io.github.multitiercache.core.stampede;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running counts of one cache's stampede protection, refresh-ahead and fail-safe, read by metrics
 * and endpoints. Loads themselves (successes, failures, time) are counted by the cache's
 * {@code CacheStatistics}. The {@code onXxx} methods record events; they are called by the cache.
 */
public final class StampedeStatistics {

    private final LongAdder lockAcquisitions = new LongAdder();
    private final LongAdder lockWaits = new LongAdder();
    private final LongAdder lockWaitNanos = new LongAdder();
    private final LongAdder waitHits = new LongAdder();
    private final LongAdder takeovers = new LongAdder();
    private final LongAdder waitTimeouts = new LongAdder();
    private final LongAdder fallbackLoads = new LongAdder();
    private final LongAdder fallbackFailures = new LongAdder();
    private final LongAdder lockBypasses = new LongAdder();
    private final LongAdder rejectedStores = new LongAdder();
    private final LongAdder notifications = new LongAdder();
    private final LongAdder staleServes = new LongAdder();
    private final LongAdder softTimeouts = new LongAdder();
    private final LongAdder hardTimeouts = new LongAdder();
    private final LongAdder refreshes = new LongAdder();
    private final LongAdder refreshFailures = new LongAdder();
    private final LongAdder refreshesSkipped = new LongAdder();

    /** @return loads that took the per-key lock in Redis (owners) */
    public long lockAcquisitions() {
        return lockAcquisitions.sum();
    }

    /** @return misses that found the lock held by another instance and waited (one per JVM and key) */
    public long lockWaits() {
        return lockWaits.sum();
    }

    /** @return total time spent waiting for another instance's load, in nanoseconds */
    public long lockWaitNanos() {
        return lockWaitNanos.sum();
    }

    /** @return waits that ended with the value another instance loaded */
    public long waitHits() {
        return waitHits.sum();
    }

    /** @return locks taken over after the previous owner's lease expired or its lock was released without a value */
    public long takeovers() {
        return takeovers.sum();
    }

    /** @return waits that exceeded {@code stampede.max-wait} */
    public long waitTimeouts() {
        return waitTimeouts.sum();
    }

    /** @return loads run without the lock after a wait timed out ({@code on-timeout = LOAD}, or STALE without a stale value) */
    public long fallbackLoads() {
        return fallbackLoads.sum();
    }

    /** @return calls failed after a wait timed out ({@code on-timeout = FAIL}) */
    public long fallbackFailures() {
        return fallbackFailures.sum();
    }

    /** @return loads run without the lock because Redis was unavailable or the key cannot share a slot with its lock */
    public long lockBypasses() {
        return lockBypasses.sum();
    }

    /**
     * @return loaded values not cached because the lock no longer held the owner's token: a put,
     *         evict or clear happened during the load, or the lease expired
     */
    public long rejectedStores() {
        return rejectedStores.sum();
    }

    /** @return "loaded" notifications received for keys this instance was waiting for */
    public long notifications() {
        return notifications.sum();
    }

    /** @return calls served an expired value (fail-safe, or {@code on-timeout = STALE}) */
    public long staleServes() {
        return staleServes.sum();
    }

    /** @return loads that exceeded {@code fail-safe.soft-timeout} with a stale value at hand */
    public long softTimeouts() {
        return softTimeouts.sum();
    }

    /** @return calls that failed after {@code fail-safe.hard-timeout} */
    public long hardTimeouts() {
        return hardTimeouts.sum();
    }

    /** @return background refreshes started (refresh-ahead) */
    public long refreshes() {
        return refreshes.sum();
    }

    /** @return background refreshes whose loader failed */
    public long refreshFailures() {
        return refreshFailures.sum();
    }

    /** @return refreshes not started because another instance held the key's lock */
    public long refreshesSkipped() {
        return refreshesSkipped.sum();
    }

    /** Records a lock taken. */
    public void onLockAcquired() {
        lockAcquisitions.increment();
    }

    /** Records a wait for another instance's load. */
    public void onLockWait() {
        lockWaits.increment();
    }

    /**
     * Records the end of a wait.
     * @param nanos how long it lasted
     * @param hit whether it ended with the value loaded elsewhere
     */
    public void onWaitEnded(long nanos, boolean hit) {
        lockWaitNanos.add(nanos);
        if (hit) {
            waitHits.increment();
        }
    }

    /** Records a takeover. */
    public void onTakeover() {
        takeovers.increment();
    }

    /** Records a wait that exceeded its bound. */
    public void onWaitTimeout() {
        waitTimeouts.increment();
    }

    /** Records a load after a timed-out wait. */
    public void onFallbackLoad() {
        fallbackLoads.increment();
    }

    /** Records a failure after a timed-out wait. */
    public void onFallbackFailure() {
        fallbackFailures.increment();
    }

    /** Records a load without the lock. */
    public void onLockBypass() {
        lockBypasses.increment();
    }

    /** Records a loaded value not cached because the lock was lost. */
    public void onRejectedStore() {
        rejectedStores.increment();
    }

    /** Records a notification that woke a waiter. */
    public void onNotification() {
        notifications.increment();
    }

    /** Records a stale value served. */
    public void onStaleServe() {
        staleServes.increment();
    }

    /** Records a soft timeout. */
    public void onSoftTimeout() {
        softTimeouts.increment();
    }

    /** Records a hard timeout. */
    public void onHardTimeout() {
        hardTimeouts.increment();
    }

    /** Records a refresh started. */
    public void onRefresh() {
        refreshes.increment();
    }

    /** Records a failed refresh. */
    public void onRefreshFailure() {
        refreshFailures.increment();
    }

    /** Records a refresh skipped because the key was locked. */
    public void onRefreshSkipped() {
        refreshesSkipped.increment();
    }
}
