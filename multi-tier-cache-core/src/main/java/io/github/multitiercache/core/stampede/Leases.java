package io.github.multitiercache.core.stampede;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.redis.RedisTier;
import org.jspecify.annotations.Nullable;

/**
 * The per-key lease protocol that lets one load run for a key across every instance, as the engine
 * uses it: {@link LoadCoordinator} over Redis in production; an in-memory twin in the engine's fast
 * tests. See {@link LoadCoordinator} for the protocol and its guarantees. No method throws because
 * the store behind it failed: failures surface as {@link Acquisition.State#UNAVAILABLE}, {@code false}
 * or a negative count.
 */
public interface Leases {

    /** First fallback re-check of a waiter, in nanoseconds. */
    long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** Longest time between two fallback re-checks of a waiter, in nanoseconds. */
    long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * The next fallback re-check interval of a waiter.
     * @param current the current interval, 0 before the first
     * @return the next interval in nanoseconds
     */
    static long nextBackoff(long current) {
        return (current <= 0) ? FIRST_BACKOFF_NANOS : Math.min(MAX_BACKOFF_NANOS, current * 2);
    }

    /**
     * @param valueKey the value key
     * @return its lock key, or {@code null} when the key cannot be locked
     */
    byte @Nullable [] lockKey(byte[] valueKey);

    /**
     * Returns a fresh value of the key, or takes its lock, or reports who has it.
     * @param refreshOf for a refresh: the expiry of the entry to refresh; {@code null} for a load
     * @return the outcome
     */
    Acquisition acquire(byte[] valueKey, byte[] lockKey, long leaseMillis, long nowMillis, @Nullable Long refreshOf);

    /** As {@link #acquire}, without blocking; never completes exceptionally. */
    CompletableFuture<Acquisition> acquireAsync(byte[] valueKey, byte[] lockKey, long leaseMillis, long nowMillis,
            @Nullable Long refreshOf);

    /**
     * As {@link #acquire} for a load of many keys at once (never a refresh), one round trip per Redis
     * node: the bulk read itself, since a key with a fresh entry comes back
     * {@link Acquisition.State#PRESENT} with it, and every other key leased or found held, with the
     * expired entry Redis may still hold for fail-safe.
     * @param valueKeys the value keys
     * @param lockKeys their lock keys, in the same order
     * @param nowMillis the current time, entries expiring at or before it are not fresh; 0 when any
     *        entry present is (without fail-safe, Redis drops an entry when it expires)
     * @return the outcomes, in the order of the keys
     */
    List<Acquisition> acquireAll(List<byte[]> valueKeys, List<byte[]> lockKeys, long leaseMillis, long nowMillis);

    /**
     * As {@link #store} for many keys at once, each with its own value and TTL, in one round trip
     * per Redis node; a {@code null} value releases its key's lock without storing, as
     * {@link #release}.
     * @param valueKeys the value keys
     * @param lockKeys their lock keys
     * @param tokens the owner's token of each lock
     * @param values the encoded entries, {@code null} for a release
     * @param ttlMillis the TTL of each entry
     * @return for each key whether its value was written; {@code false} for a release, a lost lock or
     *         when Redis failed
     */
    boolean[] storeAll(List<byte[]> valueKeys, List<byte[]> lockKeys, List<byte[]> tokens,
            List<byte @Nullable []> values, long[] ttlMillis);

    /** Writes a loaded value if the lock still holds the owner's token, releases it and announces it. */
    boolean store(byte[] valueKey, byte[] lockKey, byte[] token, byte[] value, long ttlMillis);

    /** As {@link #store}, without blocking; never completes exceptionally. */
    CompletableFuture<Boolean> storeAsync(byte[] valueKey, byte[] lockKey, byte[] token, byte[] value,
            long ttlMillis);

    /** Releases a lock that still holds the token, without storing, and wakes the waiters. */
    void release(byte[] valueKey, byte[] lockKey, byte[] token);

    /** As {@link #release}, without blocking; completes once the store answered, never exceptionally. */
    CompletableFuture<?> releaseAsync(byte[] valueKey, byte[] lockKey, byte[] token);

    /** Deletes the lock, then writes the value: a load under way cannot overwrite it. */
    boolean put(byte[] valueKey, byte[] lockKey, byte[] value, long ttlMillis);

    /** Writes a value unless the key exists, deleting the lock when it writes. */
    RedisTier.SetIfAbsentResult putIfAbsent(byte[] valueKey, byte[] lockKey, byte[] value, long ttlMillis);

    /** Deletes the lock, then the value. @return values removed, or -1 when unavailable */
    long evict(byte[] valueKey, byte[] lockKey);

    /** Registers interest in the next store or release of a key; call before {@link #acquire}. */
    CompletableFuture<Void> watch(byte[] valueKey);

    /** Drops interest in a key. */
    void unwatch(byte[] valueKey, CompletableFuture<Void> signal);

    /**
     * Waits for a signal, at most {@code nanos}.
     * @return whether the signal fired
     * @throws InterruptedException when the thread is interrupted
     */
    boolean await(CompletableFuture<Void> signal, long nanos) throws InterruptedException;

    /** As {@link #await}, without parking a thread; never completes exceptionally. */
    CompletableFuture<Boolean> awaitAsync(CompletableFuture<Void> signal, long nanos, Executor executor);

    /**
     * The outcome of {@link Leases#acquire}.
     * @param state what happened
     * @param token the owner's token when {@link State#ACQUIRED}
     * @param value the encoded entry Redis holds for the key, fresh for {@link State#PRESENT},
     *        possibly expired otherwise; {@code null} when none
     */
    public record Acquisition(State state, byte @Nullable [] token, byte @Nullable [] value) {

        /** The outcome when the store could not be asked. */
        public static final Acquisition UNAVAILABLE = new Acquisition(State.UNAVAILABLE, null, null);

        /** What {@link #acquire} found. */
        public enum State {
            /** A value that has not expired is present. */
            PRESENT,
            /** The lock was taken; the caller owns the load. */
            ACQUIRED,
            /** Another owner holds the lock. */
            HELD,
            /** Redis could not be asked. */
            UNAVAILABLE
        }
    }
}
