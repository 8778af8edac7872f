package io.github.multitiercache.core;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one cache owes Redis, and its return to a trusted state after an outage.
 *
 * <p>A delete or clear that Redis did not answer (a timeout, a cut connection, an open circuit
 * breaker) leaves a value in Redis that some write replaced: other instances would read it for up
 * to its whole TTL. Such a key is remembered and its delete retried promptly, with a backoff from
 * {@value RetryBackoff#FIRST_MILLIS} ms doubling up to {@value RetryBackoff#MAX_MILLIS} ms ({@link RetryBackoff}),
 * until Redis accepts it;
 * more than {@value #MAX_PENDING_DELETES} owed keys turn into one owed clear of the cache. Each
 * replayed delete tells the other instances again, since the first message may have been lost with
 * the write. So a replaced value stays readable in Redis at most about {@value RetryBackoff#MAX_MILLIS} ms
 * (plus one command timeout) after Redis accepts writes again.
 *
 * <p>When Redis answers again after its circuit breaker opened, this instance also drops its L1
 * (it may have missed invalidations) and distrusts its hot keys' replicas until they are copied anew.
 */
final class RedisRecovery {

    static final int MAX_PENDING_DELETES = 10_000;

    private final String cacheName;
    private final SharedTier shared;
    private final NearTier near;
    private final FillGuard fills;
    private final HotKeys hotKeys;
    private final InvalidationPublisher publisher;
    // Owed deletes by key text: one per key, however often it was owed.
    private final Map<String, CacheKey> pendingDeletes = new ConcurrentHashMap<>();
    // Clears owed; a replay pays those it saw, so that one owed meanwhile is not lost.
    private final AtomicInteger clearsOwed = new AtomicInteger();
    private final RetryBackoff retries;

    RedisRecovery(String cacheName, SharedTier shared, NearTier near, FillGuard fills, HotKeys hotKeys,
            InvalidationPublisher publisher, Delays delays) {
        this.cacheName = cacheName;
        this.shared = shared;
        this.near = near;
        this.fills = fills;
        this.hotKeys = hotKeys;
        this.publisher = publisher;
        this.retries = new RetryBackoff(delays, this::replay);
        shared.onRecovery(this::redisRecovered);
    }

    /**
     * Deletes a key from Redis, or owes Redis the delete when it does not answer.
     * @return the number of keys removed, negative when the delete is owed
     */
    long delete(CacheKey key) {
        long removed = shared.delete(key);
        if (removed < 0) {
            owe(key);
        }
        return removed;
    }

    /**
     * Deletes many keys from Redis at once, or owes Redis the delete of each when it does not answer.
     * @return the number of keys removed, negative when the deletes are owed
     */
    long deleteAll(List<CacheKey> keys) {
        long removed = shared.deleteAll(keys);
        if (removed < 0) {
            keys.forEach(this::owe);
        }
        return removed;
    }

    /**
     * Removes the cache's keys from Redis, or owes Redis the clear.
     * @return the number of values removed, negative when the clear is owed
     */
    long clear() {
        long removed = shared.clear();
        if (removed < 0) {
            clearsOwed.incrementAndGet();
            retries.schedule();
        }
        return removed;
    }

    private void owe(CacheKey key) {
        if (pendingDeletes.size() < MAX_PENDING_DELETES) {
            pendingDeletes.putIfAbsent(key.text(), key);
        }
        else {
            clearsOwed.incrementAndGet();
        }
        retries.schedule();
    }

    /**
     * Redis answers again after its circuit breaker opened: drops L1, which may have missed
     * invalidations, distrusts the replicas, and pays what Redis is owed now.
     */
    void redisRecovered() {
        fills.bumpAll();
        near.clear();
        hotKeys.distrust();
        retries.reset();
        replay();
    }

    /** Pays what Redis is owed, in order; schedules another try at the first refusal. */
    private synchronized void replay() {
        int clears = clearsOwed.get();
        if (clears > 0) {
            // The clear covers every key owed so far.
            pendingDeletes.clear();
            if (shared.clear() < 0) {
                retries.schedule();
                return;
            }
            clearsOwed.addAndGet(-clears);
            publisher.cacheCleared(cacheName);
        }
        for (CacheKey key : pendingDeletes.values()) {
            if (shared.delete(key) < 0) {
                retries.schedule();
                return;
            }
            pendingDeletes.remove(key.text(), key);
            publisher.keysChanged(cacheName, key.text());
        }
        retries.reset();
    }
}
