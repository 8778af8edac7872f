package io.github.multitiercache.core;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueRetrievalException;

/**
 * Fail-safe of one cache: when a load fails or outlasts its timeout and an expired entry is at hand
 * (kept in Redis for {@code fail-safe.max-stale} past its expiry), the expired value is served
 * instead of the failure, and kept in L1 for a moment so that the loader is tried again soon
 * without every call paying for it. Without fail-safe every failure reaches the caller.
 */
final class FailSafe {

    // The messages are about the cache, and stay in the category that operators configure for it.
    private static final Log logger = LogFactory.getLog(TieredCache.class);
    /** How long a stale value served by fail-safe stays in L1 before the loader is tried again. */
    static final long STALE_L1_TTL_MILLIS = 1000;

    private final String cacheName;
    private final ExpiryPolicy expiry;
    private final NearTier near;
    private final StampedeStatistics statistics;

    FailSafe(String cacheName, ExpiryPolicy expiry, NearTier near, StampedeStatistics statistics) {
        this.cacheName = cacheName;
        this.expiry = expiry;
        this.near = near;
        this.statistics = statistics;
    }

    /** @return whether {@code stale} may be served now */
    boolean isServable(@Nullable StoredEntry stale) {
        return stale != null && expiry.isServableStale(stale, expiry.now());
    }

    /**
     * Serves the stale entry in place of a failure, or throws the failure when there is none to serve.
     * @throws ValueRetrievalException {@code failure}, when no stale value may be served
     */
    <T> @Nullable T staleOrThrow(CacheKey key, @Nullable StoredEntry stale, long ticket,
            ValueRetrievalException failure) {
        if (stale == null || !isServable(stale)) {
            throw failure;
        }
        Throwable cause = (failure.getCause() != null) ? failure.getCause() : failure;
        return serve(key, stale, ticket, "its loader failed: " + cause);
    }

    /**
     * Serves an expired entry, counting and logging why.
     * @param reason completes "serving the value of key … that expired …ms ago, because "
     */
    @SuppressWarnings("unchecked")
    <T> @Nullable T serve(CacheKey key, StoredEntry stale, long ticket, String reason) {
        statistics.onStaleServe();
        long age = expiry.now() - stale.expiresAtEpochMillis();
        logger.warn("Cache '" + cacheName + "': serving the value of key '" + key.text() + "' that expired "
                + Math.max(0, age) + "ms ago, because " + reason);
        near.putBriefly(key, stale.value(), stale.tags(), STALE_L1_TTL_MILLIS, ticket);
        return (T) stale.value();
    }
}
