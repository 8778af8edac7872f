package io.github.multitiercache.core;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.l1.L1Entry;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.cache.support.SimpleValueWrapper;

/**
 * The two steps every read of one cache takes, whether it reads one key or many: the one probe of
 * L1, and the serving of an entry read from Redis. Both count what they find in the cache's
 * {@link CacheStatistics}, so that a key of a bulk read is counted as a single read of it is.
 */
final class TierReads {

    private final NearTier near;
    private final SharedTier shared;
    private final HotKeys hotKeys;
    private final ExpiryPolicy expiry;
    private final CacheStatistics statistics;
    private final boolean countsL1Misses;

    TierReads(NearTier near, SharedTier shared, HotKeys hotKeys, ExpiryPolicy expiry, CacheStatistics statistics,
            boolean countsL1Misses) {
        this.near = near;
        this.shared = shared;
        this.hotKeys = hotKeys;
        this.expiry = expiry;
        this.statistics = statistics;
        this.countsL1Misses = countsL1Misses;
    }

    /** The read's one probe of L1: counts the read for hot keys, and the hit or the L1 miss. */
    @Nullable L1Entry probe(Object key) {
        hotKeys.recordRead(key);
        L1Entry entry = near.servable(key);
        if (entry != null) {
            statistics.l1Hits.increment();
        }
        else if (countsL1Misses) {
            statistics.l1Misses.increment();
        }
        return entry;
    }

    /**
     * Serves an entry read from Redis, filling L1, or counts a miss. With fail-safe, an entry past
     * its (logical) expiry is a miss: it is kept in Redis only to be served when loading fails.
     */
    @Nullable ValueWrapper served(CacheKey key, @Nullable StoredEntry entry, long ticket) {
        long now = expiry.now();
        if (entry == null || !expiry.isLive(entry, now)) {
            shared.countMiss();
            statistics.misses.increment();
            return null;
        }
        statistics.l2Hits.increment();
        long remaining = entry.remainingMillis(now);
        if (remaining > 0) {
            L1Entry filled = near.fill(key, entry.value(), entry.tags(), remaining, ticket);
            if (filled != null) {
                return filled;
            }
        }
        return new SimpleValueWrapper(entry.value());
    }
}
