package io.github.multitiercache.core;

import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.codec.EntryTags;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.l1.L1Tier;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.support.NullValue;

/**
 * One cache's in-process tier as the engine uses it: the rules for what enters L1 and what may be
 * served from it, over an {@link L1Tier}. A cache with L1 off gets {@link #OFF}, which holds and
 * serves nothing, unless it pins hot keys, in which case it gets a small L1 that holds hot keys only.
 */
interface NearTier {

    /** The tier of a cache that keeps nothing in L1. */
    NearTier OFF = new NearTier() {
    };

    /**
     * The L1 of a cache.
     * @param tier the Caffeine tier
     * @param holdsAll {@code true} for a cache with L1 on; {@code false} for one that keeps hot keys only
     * @param pinsHotKeys whether hot keys are kept at least {@code hot-keys.l1-ttl}
     * @param cacheName the cache's name, for its tag evictions
     */
    static NearTier of(L1Tier tier, boolean holdsAll, boolean pinsHotKeys, FillGuard fills, ExpiryPolicy expiry,
            HotKeys hotKeys, TagClock tags, String cacheName, CacheStatistics statistics) {
        return new Caffeinated(tier, holdsAll, pinsHotKeys, fills, expiry, hotKeys, tags, cacheName, statistics);
    }

    /**
     * The key's entry if it may be served (the guard has not dropped it since); counts nothing.
     * @param key the caller's key
     * @return the entry, or {@code null}
     */
    default @Nullable L1Entry servable(Object key) {
        return null;
    }

    /**
     * Puts a value read from Redis, loaded or written into L1 for its L1 TTL (at least
     * {@code hot-keys.l1-ttl} for a pinned hot key), never beyond {@code limitMillis}, unless the key
     * was invalidated since {@code ticket}.
     * @return the entry put, or {@code null}
     */
    default @Nullable L1Entry fill(CacheKey key, @Nullable Object value, long limitMillis, long ticket) {
        return fill(key, value, null, limitMillis, ticket);
    }

    /**
     * As {@link #fill(CacheKey, Object, long, long)} for a value carrying tags: served only while
     * none of them was evicted after its as-of time.
     * @param tags its tags, {@code null} for none
     * @return the entry put, or {@code null}
     */
    default @Nullable L1Entry fill(CacheKey key, @Nullable Object value, @Nullable EntryTags tags, long limitMillis,
            long ticket) {
        return null;
    }

    /**
     * Puts a value for exactly {@code ttlMillis} (capped by the guard) into a cache with L1 on, unless
     * the key was invalidated since {@code ticket}: a stale value served by fail-safe, briefly.
     * @return the entry put, or {@code null}
     */
    default @Nullable L1Entry putBriefly(CacheKey key, @Nullable Object value, @Nullable EntryTags tags,
            long ttlMillis, long ticket) {
        return null;
    }

    /** @return whether the key had an entry, under its object or its text form */
    default boolean invalidate(CacheKey key) {
        return false;
    }

    /** @return whether an entry of the key with this text form was present */
    default boolean invalidate(String text) {
        return false;
    }

    /** Drops every entry. @return whether any was present, as far as known */
    default boolean clear() {
        return false;
    }

    /** @return the Caffeine tier, for introspection; {@code null} for {@link #OFF} */
    default @Nullable L1Tier tier() {
        return null;
    }

    /** The L1 of a cache, over Caffeine. */
    final class Caffeinated implements NearTier {

        private final L1Tier tier;
        private final boolean holdsAll;
        private final boolean pinsHotKeys;
        private final FillGuard fills;
        private final ExpiryPolicy expiry;
        private final HotKeys hotKeys;
        private final TagClock tags;
        private final String cacheName;
        private final CacheStatistics statistics;

        Caffeinated(L1Tier tier, boolean holdsAll, boolean pinsHotKeys, FillGuard fills, ExpiryPolicy expiry,
                HotKeys hotKeys, TagClock tags, String cacheName, CacheStatistics statistics) {
            this.tags = tags;
            this.cacheName = cacheName;
            this.statistics = statistics;
            this.tier = tier;
            this.holdsAll = holdsAll;
            this.pinsHotKeys = pinsHotKeys;
            this.fills = fills;
            this.expiry = expiry;
            this.hotKeys = hotKeys;
        }

        @Override
        public @Nullable L1Entry servable(Object key) {
            L1Entry entry = tier.get(key);
            if (entry == null || !fills.isServable(entry)) {
                return null;
            }
            if (entry.tags() == null || tags.servable(entry, cacheName)) {
                return entry;
            }
            // One of its tags was evicted after it was written (or is not known here any more).
            if (tier.invalidate(key)) {
                statistics.tagDrops.increment();
            }
            return null;
        }

        @Override
        public @Nullable L1Entry fill(CacheKey key, @Nullable Object value, @Nullable EntryTags entryTags,
                long limitMillis, long ticket) {
            boolean pinned = pinsHotKeys && hotKeys.isHot(key.text());
            if (!holdsAll && !pinned) {
                return null;
            }
            long ttl = expiry.l1Millis(value == null);
            if (pinned) {
                ttl = Math.max(ttl, expiry.pinMillis(value == null));
            }
            return put(key, value, entryTags, Math.min(ttl, limitMillis), ticket);
        }

        @Override
        public @Nullable L1Entry putBriefly(CacheKey key, @Nullable Object value, @Nullable EntryTags entryTags,
                long ttlMillis, long ticket) {
            return holdsAll ? put(key, value, entryTags, Math.min(ttlMillis, expiry.l1Millis(value == null)), ticket)
                    : null;
        }

        /** Puts unless invalidated since the ticket; re-checked after the put, so a racing invalidation wins. */
        private @Nullable L1Entry put(CacheKey key, @Nullable Object value, @Nullable EntryTags entryTags,
                long ttlMillis, long ticket) {
            long ttl = fills.capTtl(ttlMillis);
            if (ttl <= 0 || !fills.isCurrent(key.text(), ticket)) {
                return null;
            }
            L1Entry entry = tier.put(key.key(), key.text(), (value != null) ? value : NullValue.INSTANCE,
                    TimeUnit.MILLISECONDS.toNanos(ttl), FillGuard.epochOf(ticket), entryTags);
            if (!fills.isCurrent(key.text(), ticket)) {
                tier.invalidate(key.key());
                return null;
            }
            return entry;
        }

        @Override
        public boolean invalidate(CacheKey key) {
            return tier.invalidate(key.key()) | tier.invalidateByText(key.text());
        }

        @Override
        public boolean invalidate(String text) {
            return tier.invalidateByText(text);
        }

        @Override
        public boolean clear() {
            boolean present = tier.estimatedSize() > 0;
            tier.invalidateAll();
            return present;
        }

        @Override
        public L1Tier tier() {
            return tier;
        }
    }
}
