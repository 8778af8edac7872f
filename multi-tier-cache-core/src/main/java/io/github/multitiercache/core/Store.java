package io.github.multitiercache.core;

import io.github.multitiercache.core.codec.EntryTags;
import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.redis.RedisTier;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.support.NullValue;

/**
 * The one sequence by which a value enters the tiers, whether the application wrote it or a load
 * produced it: its TTL and encoded entry, the write to Redis, the copies to a hot key's replicas,
 * the L1 fill, and for a write by the application the message to the other instances.
 *
 * <p>A key without a stable text form ({@link CacheKey#local()}) stops at L1: it is neither written
 * to Redis nor announced.
 *
 * <p>Each writer decides how the bytes go to Redis ({@link #store}: plainly or, for a put, with the
 * key's lock deleted in the same step; a lease owner through the token-checked store of the
 * {@link Loader}); what follows the write is the same for every writer, and lives in {@link Storing}.
 */
final class Store {

    private final String cacheName;
    private final boolean cachesNulls;
    private final ExpiryPolicy expiry;
    private final NearTier near;
    private final SharedTier shared;
    private final HotKeys hotKeys;
    private final RedisRecovery recovery;
    private final InvalidationPublisher publisher;
    private final FillGuard fills;
    private final TagClock tags;

    Store(String cacheName, boolean cachesNulls, ExpiryPolicy expiry, FillGuard fills, NearTier near,
            SharedTier shared, HotKeys hotKeys, RedisRecovery recovery, InvalidationPublisher publisher,
            TagClock tags) {
        this.tags = tags;
        this.cacheName = cacheName;
        this.cachesNulls = cachesNulls;
        this.expiry = expiry;
        this.fills = fills;
        this.near = near;
        this.shared = shared;
        this.hotKeys = hotKeys;
        this.recovery = recovery;
        this.publisher = publisher;
    }

    /** @return whether the cache keeps this value ({@code false} for a null without null caching) */
    boolean keeps(@Nullable Object value) {
        return unwrapNull(value) != null || cachesNulls;
    }

    /**
     * Spring's marker for a cached null, in any copy (a deserialized one is not
     * {@code NullValue.INSTANCE}), is a null: it is cached and shared through Redis as one.
     * @return {@code null} for any {@link NullValue}, else the value
     */
    static @Nullable Object unwrapNull(@Nullable Object value) {
        Object plain = Tagged.unwrap(value);
        return (plain instanceof NullValue) ? null : plain;
    }

    private static @Nullable EntryTags tagsOf(@Nullable Object value) {
        return (value instanceof Tagged tagged) ? tagged.tags() : null;
    }

    /**
     * Starts storing a value: the first step of every write of a value.
     * @param loadMillis how long its load took, kept for refresh-ahead; 0 for a put
     * @return the value with its TTL and, with Redis, its encoded entry; {@code null} for a null in a
     *         cache that does not cache nulls
     */
    @Nullable Storing storing(CacheKey key, @Nullable Object stored, int loadMillis) {
        Object value = unwrapNull(stored);
        if (!keeps(value)) {
            return null;
        }
        EntryTags entryTags = tagsOf(stored);
        long ttl = expiry.l2Millis(value == null);
        long now = expiry.now();
        byte[] bytes = shared.encode(key, new StoredEntry(value, now, now + ttl, loadMillis, entryTags));
        return new Storing(key, value, entryTags, ttl, bytes);
    }

    /**
     * A put by the application: every earlier read or load of the key loses its right to fill L1,
     * then the value is {@linkplain #store stored} and the other instances are told.
     */
    void put(CacheKey key, @Nullable Object value) {
        fills.bump(key.text());
        store(key, value, 0, true, fills.ticket(key.text()));
    }

    /**
     * A put unless Redis holds the key (one {@code SET NX}). When the value was stored, or Redis could
     * not be asked, it goes into L1 and the other instances are told, as for {@link #put}.
     * @return the entry Redis holds instead, or {@code null} when this value was stored (or no entry
     *         is known)
     */
    byte @Nullable [] putIfAbsent(CacheKey key, @Nullable Object value) {
        Storing storing = storing(key, value, 0);
        if (storing == null) {
            return null;
        }
        byte[] bytes = storing.bytes();
        RedisTier.SetIfAbsentResult result = (bytes != null)
                ? shared.writeIfAbsent(key, bytes, storing.physicalTtlMillis(), true) : null;
        if (result != null && !result.stored() && !result.failed()) {
            return result.existing();
        }
        if (result != null && result.stored()) {
            storing.written();
        }
        fills.bump(key.text());
        storing.fillL1(fills.ticket(key.text()));
        publisher.keysChanged(cacheName, key.text());
        return null;
    }

    /**
     * Stores a value in Redis, then L1. A put ({@code broadcast}) also deletes the key's lock with
     * the write, deletes the key when the write fails (the value Redis holds is outdated: now, or
     * when Redis answers again), and tells the other instances; a load does none of these.
     */
    void store(CacheKey key, @Nullable Object value, int loadMillis, boolean broadcast, long ticket) {
        if (key.local()) {
            storeLocal(key, value, ticket);
            return;
        }
        Storing storing = storing(key, value, loadMillis);
        if (storing == null) {
            return;
        }
        byte[] bytes = storing.bytes();
        if (bytes != null && shared.write(key, bytes, storing.physicalTtlMillis(), broadcast)) {
            storing.written();
        }
        else if (broadcast) {
            recovery.delete(key);
        }
        storing.fillL1(ticket);
        if (broadcast) {
            publisher.keysChanged(cacheName, key.text());
        }
    }

    /** As {@link #store} for a load, with the writes to Redis (and a hot key's replicas) not awaited. */
    void storeAsync(CacheKey key, @Nullable Object value, int loadMillis, long ticket) {
        if (key.local()) {
            storeLocal(key, value, ticket);
            return;
        }
        Storing storing = storing(key, value, loadMillis);
        if (storing == null) {
            return;
        }
        byte[] bytes = storing.bytes();
        if (bytes != null) {
            shared.writeAsync(key, bytes, storing.physicalTtlMillis()).thenAccept(written -> {
                if (written) {
                    storing.writtenAsync();
                }
            });
        }
        storing.fillL1(ticket);
    }

    /**
     * A key without a stable text form cannot be named in Redis or to the other instances: its value
     * goes into this instance's L1 only, for its L1 TTL.
     */
    private void storeLocal(CacheKey key, @Nullable Object value, long ticket) {
        EntryTags entryTags = tagsOf(value);
        if (keeps(value) && (entryTags == null || tags.isValid(entryTags, cacheName))) {
            near.fill(key, unwrapNull(value), entryTags, Long.MAX_VALUE, ticket);
        }
    }

    /** A value on its way into the tiers: what follows its write to Redis, the same for every writer. */
    final class Storing {

        private final CacheKey key;
        private final @Nullable Object value;
        private final @Nullable EntryTags entryTags;
        // The logical TTL in Redis, which also bounds the time in L1.
        private final long ttlMillis;
        private final byte @Nullable [] bytes;

        Storing(CacheKey key, @Nullable Object value, @Nullable EntryTags entryTags, long ttlMillis,
                byte @Nullable [] bytes) {
            this.key = key;
            this.value = value;
            this.entryTags = entryTags;
            this.ttlMillis = ttlMillis;
            this.bytes = bytes;
        }

        /** @return the entry to write to Redis, or {@code null} when there is none (L2 off, not encodable) */
        byte @Nullable [] bytes() {
            return bytes;
        }

        /** @return the TTL to write it with, fail-safe's stale period included */
        long physicalTtlMillis() {
            return expiry.physical(ttlMillis);
        }

        /** The bytes were written to the key: writes them to its replicas too when the key is hot. */
        void written() {
            byte[] written = bytes;
            if (written != null) {
                hotKeys.written(key.text(), written, physicalTtlMillis());
            }
        }

        /** As {@link #written()}, without waiting for the replicas. */
        void writtenAsync() {
            byte[] written = bytes;
            if (written != null) {
                hotKeys.writtenAsync(key.text(), written, physicalTtlMillis());
            }
        }

        /**
         * Puts the value into L1, for no longer than its logical TTL in Redis, unless the key was
         * invalidated since {@code ticket}.
         */
        void fillL1(long ticket) {
            // A load that started before one of its tags was evicted (here or elsewhere) is not kept.
            if (entryTags != null && !tags.isValid(entryTags, cacheName)) {
                return;
            }
            near.fill(key, value, entryTags, shared.fillLimit(ttlMillis), ticket);
        }
    }
}
