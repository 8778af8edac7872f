package io.github.multitiercache.core;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.stampede.LoadWaitTimeoutException;
import io.github.multitiercache.core.stampede.StampedeSettings;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.jspecify.annotations.Nullable;

/**
 * What a load does when the lease protocol does not go its way, the same for blocking
 * ({@link Loader}) and asynchronous ({@link AsyncLoader}) loads: a wait for another instance's load
 * that ran out, and a loaded value whose store the lease no longer allowed.
 */
final class LeaseOutcomes {

    private final String cacheName;
    private final CacheSettings settings;
    private final FailSafe failSafe;
    private final StampedeStatistics statistics;
    private final LogThrottle warnings;

    LeaseOutcomes(String cacheName, CacheSettings settings, FailSafe failSafe, StampedeStatistics statistics,
            LogThrottle warnings) {
        this.cacheName = cacheName;
        this.settings = settings;
        this.failSafe = failSafe;
        this.statistics = statistics;
        this.warnings = warnings;
    }

    /**
     * What a wait that ran out does: serve the stale value ({@code staleReason} set, and the stale
     * entry servable), fail ({@code failure} set), or, with neither, load without the lease.
     * @param staleReason completes "serving the value … because ", when the stale value is to be served
     * @param failure the failure to report when no stale value is served
     */
    record WaitTimedOut(@Nullable String staleReason, @Nullable LoadWaitTimeoutException failure) {
    }

    /**
     * Counts a wait that ran out and decides what follows: with a {@code fail-safe.hard-timeout} shorter
     * than {@code stampede.max-wait}, the stale value or a failure; otherwise {@code stampede.on-timeout}
     * (FAIL, STALE when a stale value is at hand, else LOAD, which is logged).
     * @param hardBound whether the wait was bounded by the hard timeout
     * @param stale the expired entry at hand, if any
     */
    WaitTimedOut waitTimedOut(CacheKey key, boolean hardBound, @Nullable StoredEntry stale) {
        statistics.onWaitTimeout();
        if (hardBound) {
            statistics.onHardTimeout();
            LoadWaitTimeoutException timeout = new LoadWaitTimeoutException("key '" + key.text() + "' of cache '"
                    + cacheName + "' (fail-safe.hard-timeout)", settings.failSafe().hardTimeout());
            return new WaitTimedOut(failSafe.isServable(stale) ? "its loader failed: " + timeout : null, timeout);
        }
        StampedeSettings.OnTimeout onTimeout = settings.stampede().onTimeout();
        if (onTimeout == StampedeSettings.OnTimeout.FAIL) {
            statistics.onFallbackFailure();
            return new WaitTimedOut(null, new LoadWaitTimeoutException("the load of key '" + key.text() + "' of cache '"
                    + cacheName + "' by another instance", settings.stampede().maxWait()));
        }
        if (onTimeout == StampedeSettings.OnTimeout.STALE && failSafe.isServable(stale)) {
            return new WaitTimedOut("another instance's load of it took longer than stampede.max-wait", null);
        }
        statistics.onFallbackLoad();
        warnings.warn("Cache '" + cacheName + "': loading key '" + key.text() + "' without the lock: another"
                + " instance's load took longer than stampede.max-wait (" + settings.stampede().maxWait() + ")");
        return new WaitTimedOut(null, null);
    }

    /** The lease owner's store was refused: the value loaded goes to its callers, and is cached nowhere. */
    void notCached(CacheKey key) {
        warnings.warn("Cache '" + cacheName + "': the value loaded for key '" + key.text() + "' is not cached: the"
                + " key was written, evicted or cleared during the load, or its lease (" + settings.stampede().lease()
                + ") expired");
    }
}
