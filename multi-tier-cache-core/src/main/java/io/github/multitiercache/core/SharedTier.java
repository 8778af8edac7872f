package io.github.multitiercache.core;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.Leases;
import org.jspecify.annotations.Nullable;

/**
 * One cache's Redis tier as the engine uses it: its entries, their locks and a hot key's replicas,
 * read and written by {@link CacheKey}. A cache with L2 off gets {@link #OFF}: every read misses,
 * nothing is encoded or written, and deletes find nothing.
 *
 * <p>Return values follow {@link RedisTier}: a count below zero, or {@code false} for a write, means
 * Redis did not answer (the caller owes Redis the operation, see {@link RedisRecovery}).
 */
interface SharedTier {

    /** The tier of a cache that keeps nothing in Redis. */
    SharedTier OFF = new SharedTier() {
    };

    /**
     * Reads a key's entry; a hot key from one of its replicas, chosen at random, and from the key
     * itself when that replica misses (copying it there unless the key was invalidated since
     * {@code ticket}). Bytes that cannot be decoded are a miss.
     * @return the entry, expired or not, or {@code null} on a miss
     */
    default @Nullable StoredEntry read(CacheKey key, long ticket) {
        return null;
    }

    /** As {@link #read}, without blocking. */
    default CompletableFuture<@Nullable StoredEntry> readAsync(CacheKey key, long ticket) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Reads many keys at once, in one round trip per Redis node ({@code MGET}), each from the key
     * itself (a hot key's replicas are not read: a bulk read spreads over the nodes anyway). Bytes
     * that cannot be decoded are a miss.
     * @return the entries in the order of {@code keys}, expired or not, {@code null} for a miss;
     *         all {@code null} when Redis did not answer
     */
    default List<@Nullable StoredEntry> readAll(List<CacheKey> keys) {
        return Arrays.asList(new StoredEntry[keys.size()]);
    }

    /**
     * Writes loaded entries to their keys, each with its own TTL, pipelined: one round trip per
     * Redis node. Locks are not touched, as by {@link #writeAsync}.
     * @return whether Redis stored every one
     */
    default boolean writeAll(List<CacheKey> keys, List<byte[]> bytes, long[] ttlMillis) {
        return false;
    }

    /** Counts a read that Redis could not serve (absent, undecodable, or expired). */
    default void countMiss() {
    }

    /**
     * Encodes an entry for Redis.
     * @return its bytes, or {@code null} when the cache keeps nothing in Redis or the value cannot be
     *         encoded (counted and logged: it is kept in L1 only)
     */
    default byte @Nullable [] encode(CacheKey key, StoredEntry entry) {
        return null;
    }

    /**
     * Writes an entry to the key (a hot key's replicas are {@link HotKeys}'s); a write by the
     * application also deletes the key's lock in the same step, so that a load under way cannot
     * overwrite it.
     * @return whether Redis stored it
     */
    default boolean write(CacheKey key, byte[] bytes, long ttlMillis, boolean byApplication) {
        return false;
    }

    /** As {@link #write} for a load, without blocking and without touching the lock. */
    default CompletableFuture<Boolean> writeAsync(CacheKey key, byte[] bytes, long ttlMillis) {
        return CompletableFuture.completedFuture(Boolean.FALSE);
    }

    /** As {@link #write}, unless the key is present in Redis. */
    default RedisTier.SetIfAbsentResult writeIfAbsent(CacheKey key, byte[] bytes, long ttlMillis,
            boolean byApplication) {
        return new RedisTier.SetIfAbsentResult(false, null, true);
    }

    /**
     * Deletes a key with its lock (so that a load under way cannot write it back) and, when hot,
     * its replicas.
     * @return the number of keys removed, negative when Redis did not answer
     */
    default long delete(CacheKey key) {
        return 0;
    }

    /**
     * As {@link #delete} for many keys at once: each key with its lock (the lock named first) and,
     * when hot, its replicas, in one round trip per Redis node.
     * @return the number of keys removed, locks included; negative when Redis did not answer, and
     *         then any of them may still be present
     */
    default long deleteAll(List<CacheKey> keys) {
        return 0;
    }

    /**
     * Removes every key of the cache: locks first, so that no load under way can write its value
     * after the values are gone, then values, then replicas (SCAN and UNLINK on every master).
     * @return the number of values removed, negative when Redis did not answer
     */
    default long clear() {
        return 0;
    }

    /**
     * How long a value written now may live in L1: no longer than in Redis.
     * @param logicalTtlMillis its logical TTL in Redis
     * @return the limit
     */
    default long fillLimit(long logicalTtlMillis) {
        return Long.MAX_VALUE;
    }

    /** @return the lease protocol of the cache, or {@code null} when it is not coordinated */
    default @Nullable Leases coordinator() {
        return null;
    }

    /** Runs {@code action} (on the caller's executor) each time Redis answers again after an outage. */
    default void onRecovery(Runnable action) {
    }
}
