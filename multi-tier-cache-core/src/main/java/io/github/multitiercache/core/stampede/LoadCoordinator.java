package io.github.multitiercache.core.stampede;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.redis.RedisTier.LuaScript;
import io.github.multitiercache.core.redis.RedisTier.ScriptReply;
import io.lettuce.core.ScriptOutputType;
import org.jspecify.annotations.Nullable;

/**
 * The per-key lock protocol in Redis that lets one load run for a key across every instance.
 *
 * <p><b>Protocol.</b> Each value key {@code V} has a lock key {@code L} in the same cluster slot
 * ({@link LockKeys}).
 * <ol>
 *   <li>{@link #acquire} runs one script: if {@code V} holds a value that has not expired it is
 *       returned ({@link Acquisition.State#PRESENT}); otherwise {@code SET L token NX PX lease}
 *       either takes the lock ({@link Acquisition.State#ACQUIRED}, with a fresh random token) or
 *       finds it held ({@link Acquisition.State#HELD}). Checking and locking in one script means
 *       a value stored between a waiter's read and its lock attempt cannot start a second load.
 *   <li>The owner loads and calls {@link #store}: a script writes {@code V} (with its TTL) only if
 *       {@code L} still holds the owner's token, deletes {@code L} and publishes {@code V} on the
 *       cache's "loaded" channel. It returns {@code false}, writing nothing, when the token is gone.
 *   <li>On a loader failure the owner calls {@link #release}: a token-checked delete of {@code L}
 *       that also publishes, so waiters wake and one of them takes over.
 *   <li>{@link #put} and {@link #evict} delete {@code L} before they write or delete {@code V}
 *       (pipelined in that order on one connection; {@link #putIfAbsent} in one script), so a load
 *       that started before them finds its token gone and cannot write its older value afterwards
 *       (stale-set protection).
 * </ol>
 * A waiter {@linkplain #watch watches} the key before trying to acquire, then waits on the returned
 * signal, which the "loaded" notification completes; it re-checks Redis after each wake-up or, as
 * a fallback for a lost notification, after a backoff from 5ms doubling to 100ms. A lock whose
 * owner died expires with its lease and the next attempt takes it.
 *
 * <p>Every method goes through {@link RedisTier} and never throws because Redis failed: failures
 * surface as {@link Acquisition.State#UNAVAILABLE} or {@code false}.
 */
public final class LoadCoordinator implements Leases {

    /**
     * KEYS: value, lock. ARGV: token, lease ms, now ms, and for a refresh the expiry of the entry
     * to refresh ('' otherwise). The expiry is read from the entry envelope's header (bytes 12 to
     * 19, big-endian epoch millis, after the magic byte 0xC1).
     */
    private static final LuaScript ACQUIRE = LuaScript.of("""
            local v = redis.call('GET', KEYS[1])
            if v and string.byte(v, 1) == 193 and string.len(v) >= 19 then
              local e = 0
              for i = 12, 19 do e = e * 256 + string.byte(v, i) end
              if ARGV[4] == '' then
                if e > tonumber(ARGV[3]) then return {1, v} end
              elseif e ~= tonumber(ARGV[4]) then
                return {1, v}
              end
            end
            if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2, v or ''} end
            return {0, v or ''}
            """);

    /** KEYS: value, lock. ARGV: token, value, ttl ms, channel, message. */
    private static final LuaScript STORE = LuaScript.of("""
            if redis.call('GET', KEYS[2]) == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
              redis.call('DEL', KEYS[2])
              redis.call('PUBLISH', ARGV[4], ARGV[5])
              return 1
            end
            return 0
            """);

    /** KEYS: lock. ARGV: token, channel, message. */
    private static final LuaScript RELEASE = LuaScript.of("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
              redis.call('PUBLISH', ARGV[2], ARGV[3])
              return 1
            end
            return 0
            """);

    /** KEYS: value, lock. ARGV: value, ttl ms. */
    private static final LuaScript PUT_IF_ABSENT = LuaScript.of("""
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              redis.call('DEL', KEYS[2])
              return {1, ''}
            end
            return {0, redis.call('GET', KEYS[1]) or ''}
            """);

    private static final SecureRandom TOKENS = new SecureRandom();

    private final RedisTier redis;
    private final byte[] channel;
    private final StampedeStatistics statistics;
    private final String channelName;
    private final ConcurrentMap<String, CompletableFuture<Void>> watchers = new ConcurrentHashMap<>();
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final LeaseBatches batches;

    /**
     * Creates the coordinator of one cache. It subscribes to the "loaded" channel when it first
     * waits for another instance, so that an application without contention opens no subscriber
     * connection; that first wait may be woken by the fallback re-check instead.
     * @param redis the Redis tier
     * @param channel the channel on which stores are announced, shared by the instances
     * @param statistics where events are counted
     */
    public LoadCoordinator(RedisTier redis, String channel, StampedeStatistics statistics) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.channel = channel.getBytes(StandardCharsets.UTF_8);
        this.channelName = channel;
        this.statistics = Objects.requireNonNull(statistics, "statistics");
        this.batches = new LeaseBatches(redis, this.channel, statistics);
    }

    /**
     * The lock key of a value key on this Redis.
     * @param valueKey the value key
     * @return the lock key, or {@code null} when the key cannot be locked in its slot
     */
    @Override
    public byte @Nullable [] lockKey(byte[] valueKey) {
        return LockKeys.lockKey(valueKey, redis.isCluster());
    }

    /**
     * Returns a fresh value of the key, or takes its lock, or reports who has it.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @param leaseMillis the lease of a lock taken now
     * @param nowMillis the current wall-clock time; values expiring at or before it are not fresh
     * @param refreshOf for a refresh: the expiry of the entry to refresh, which is then locked
     *        although fresh, unless Redis holds another entry by now (someone refreshed it:
     *        {@link Acquisition.State#PRESENT}); {@code null} for a load
     * @return the outcome
     */
    @Override
    public Acquisition acquire(byte[] valueKey, byte[] lockKey, long leaseMillis, long nowMillis,
            @Nullable Long refreshOf) {
        byte[] token = newToken();
        return acquisition(redis.eval(ACQUIRE, ScriptOutputType.MULTI, new byte[][] { valueKey, lockKey },
                acquireArgs(token, leaseMillis, nowMillis, refreshOf)), token);
    }

    /**
     * As {@link #acquire}, without blocking.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @param leaseMillis the lease of a lock taken now
     * @param nowMillis the current wall-clock time
     * @param refreshOf for a refresh: the expiry of the entry to refresh; {@code null} for a load
     * @return a future of the outcome; it never completes exceptionally
     */
    @Override
    public CompletableFuture<Acquisition> acquireAsync(byte[] valueKey, byte[] lockKey, long leaseMillis,
            long nowMillis, @Nullable Long refreshOf) {
        byte[] token = newToken();
        return redis.evalAsync(ACQUIRE, ScriptOutputType.MULTI, new byte[][] { valueKey, lockKey },
                acquireArgs(token, leaseMillis, nowMillis, refreshOf)).thenApply(reply -> acquisition(reply, token));
    }

    /** As {@link #acquire} for many keys, reading them in the same step: see {@link LeaseBatches}. */
    @Override
    public List<Acquisition> acquireAll(List<byte[]> valueKeys, List<byte[]> lockKeys, long leaseMillis,
            long nowMillis) {
        return batches.acquireAll(valueKeys, lockKeys, leaseMillis, nowMillis, LoadCoordinator::newToken);
    }

    /** As {@link #store} and {@link #release} for many keys: see {@link LeaseBatches}. */
    @Override
    public boolean[] storeAll(List<byte[]> valueKeys, List<byte[]> lockKeys, List<byte[]> tokens,
            List<byte @Nullable []> values, long[] ttlMillis) {
        return batches.storeAll(valueKeys, lockKeys, tokens, values, ttlMillis);
    }

    private static byte[][] acquireArgs(byte[] token, long leaseMillis, long nowMillis, @Nullable Long refreshOf) {
        byte[] refresh = (refreshOf != null) ? ascii(refreshOf) : new byte[0];
        return new byte[][] { token, ascii(leaseMillis), ascii(nowMillis), refresh };
    }

    private Acquisition acquisition(ScriptReply reply, byte[] token) {
        if (reply.failed() || !(reply.value() instanceof List<?> parts) || parts.size() != 2) {
            return Acquisition.UNAVAILABLE;
        }
        long state = (parts.get(0) instanceof Long code) ? code : -1;
        byte[] value = (parts.get(1) instanceof byte[] bytes && bytes.length > 0) ? bytes : null;
        if (state == 1) {
            return new Acquisition(Acquisition.State.PRESENT, null, value);
        }
        if (state == 2) {
            statistics.onLockAcquired();
            return new Acquisition(Acquisition.State.ACQUIRED, token, value);
        }
        if (state == 0) {
            return new Acquisition(Acquisition.State.HELD, null, value);
        }
        return Acquisition.UNAVAILABLE;
    }

    /**
     * Writes a loaded value if the lock still holds the owner's token, then releases the lock and
     * announces the store.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @param token the owner's token
     * @param value the encoded entry
     * @param ttlMillis the value's TTL in Redis
     * @return whether the value was written; {@code false} when the lock was lost (counted) or
     *         Redis failed
     */
    @Override
    public boolean store(byte[] valueKey, byte[] lockKey, byte[] token, byte[] value, long ttlMillis) {
        return stored(redis.eval(STORE, ScriptOutputType.INTEGER, new byte[][] { valueKey, lockKey }, token,
                value, ascii(ttlMillis), channel, valueKey));
    }

    /**
     * As {@link #store}, without blocking.
     * @return a future of whether the value was written; it never completes exceptionally
     */
    @Override
    public CompletableFuture<Boolean> storeAsync(byte[] valueKey, byte[] lockKey, byte[] token, byte[] value,
            long ttlMillis) {
        return redis.evalAsync(STORE, ScriptOutputType.INTEGER, new byte[][] { valueKey, lockKey }, token,
                value, ascii(ttlMillis), channel, valueKey).thenApply(this::stored);
    }

    private boolean stored(ScriptReply reply) {
        if (reply.failed()) {
            return false;
        }
        if (Long.valueOf(1).equals(reply.value())) {
            return true;
        }
        statistics.onRejectedStore();
        return false;
    }

    /**
     * Releases a lock without storing (the loader failed or its value is not cached), if it still
     * holds the token, and wakes the waiters so that one of them takes over.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @param token the owner's token
     */
    @Override
    public void release(byte[] valueKey, byte[] lockKey, byte[] token) {
        redis.eval(RELEASE, ScriptOutputType.INTEGER, new byte[][] { lockKey }, token, channel, valueKey);
    }

    /**
     * As {@link #release}, without blocking.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @param token the owner's token
     * @return completes once Redis answered (or did not), never exceptionally
     */
    @Override
    public CompletableFuture<?> releaseAsync(byte[] valueKey, byte[] lockKey, byte[] token) {
        return redis.evalAsync(RELEASE, ScriptOutputType.INTEGER, new byte[][] { lockKey }, token, channel,
                valueKey);
    }

    /**
     * Deletes the key's lock, then writes the value, in this order on one connection: a load under
     * way finds its token gone whether its store runs before or after the write, so it cannot
     * overwrite it.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @param value the encoded entry
     * @param ttlMillis the TTL
     * @return whether Redis acknowledged the write
     */
    @Override
    public boolean put(byte[] valueKey, byte[] lockKey, byte[] value, long ttlMillis) {
        return redis.deleteThenSet(lockKey, valueKey, value, ttlMillis);
    }

    /**
     * Writes a value unless the key exists, deleting the key's lock when it writes, in one step.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @param value the encoded entry
     * @param ttlMillis the TTL
     * @return whether it was written and, if not, the present value; {@code failed} when Redis
     *         is unavailable
     */
    @Override
    public RedisTier.SetIfAbsentResult putIfAbsent(byte[] valueKey, byte[] lockKey, byte[] value, long ttlMillis) {
        ScriptReply reply = redis.eval(PUT_IF_ABSENT, ScriptOutputType.MULTI, new byte[][] { valueKey, lockKey },
                value, ascii(ttlMillis));
        if (reply.failed() || !(reply.value() instanceof List<?> parts) || parts.size() != 2) {
            return new RedisTier.SetIfAbsentResult(false, null, true);
        }
        if (Long.valueOf(1).equals(parts.get(0))) {
            return new RedisTier.SetIfAbsentResult(true, null, false);
        }
        byte[] present = (parts.get(1) instanceof byte[] bytes && bytes.length > 0) ? bytes : null;
        return new RedisTier.SetIfAbsentResult(false, present, false);
    }

    /**
     * Deletes the key's lock, then its value, in this order on one connection, so that a load
     * under way cannot write its value back.
     * @param valueKey the value key
     * @param lockKey its lock key
     * @return the number of values removed (0 or 1), or -1 when Redis is unavailable
     */
    @Override
    public long evict(byte[] valueKey, byte[] lockKey) {
        return redis.deleteThenDelete(lockKey, valueKey);
    }

    /**
     * Registers interest in the next store or release of a key. Call before {@link #acquire}, so
     * that a notification sent between the attempt and the wait is not missed.
     * @param valueKey the value key
     * @return completes when a notification for the key arrives
     */
    @Override
    public CompletableFuture<Void> watch(byte[] valueKey) {
        return watchers.computeIfAbsent(text(valueKey), key -> new CompletableFuture<>());
    }

    /**
     * Drops interest in a key.
     * @param valueKey the value key
     * @param signal the signal {@link #watch} returned
     */
    @Override
    public void unwatch(byte[] valueKey, CompletableFuture<Void> signal) {
        watchers.remove(text(valueKey), signal);
    }

    /**
     * Waits for a signal, at most {@code nanos}; subscribes to the "loaded" channel first if this
     * coordinator has not yet.
     * @param signal the signal
     * @param nanos the longest wait
     * @return whether the signal fired
     * @throws InterruptedException when the thread is interrupted
     */
    @Override
    public boolean await(CompletableFuture<Void> signal, long nanos) throws InterruptedException {
        subscribe();
        try {
            signal.get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
            return true;
        }
        catch (TimeoutException ex) {
            return false;
        }
        catch (ExecutionException ex) {
            return true;
        }
    }

    /**
     * As {@link #await}, without parking a thread: the future completes when the signal fires or
     * {@code nanos} have passed, on the thread that fired it or on {@code executor}.
     * @param signal the signal
     * @param nanos the longest wait
     * @param executor runs what follows a wait that timed out
     * @return a future of whether the signal fired; it never completes exceptionally
     */
    @Override
    public CompletableFuture<Boolean> awaitAsync(CompletableFuture<Void> signal, long nanos, Executor executor) {
        subscribe();
        if (signal.isDone()) {
            return CompletableFuture.completedFuture(Boolean.TRUE);
        }
        CompletableFuture<Boolean> woken = new CompletableFuture<>();
        signal.whenComplete((done, error) -> woken.complete(Boolean.TRUE));
        CompletableFuture.delayedExecutor(Math.max(0, nanos), TimeUnit.NANOSECONDS, executor)
                .execute(() -> woken.complete(Boolean.FALSE));
        return woken;
    }

    private void subscribe() {
        if (subscribed.get() || !subscribed.compareAndSet(false, true)) {
            redis.ensureSubscribed();
        }
        else {
            redis.subscribe(channelName, this::loaded);
        }
    }

    /** @return the number of keys waited for in this JVM */
    public int watching() {
        return watchers.size();
    }

    private void loaded(byte[] valueKey) {
        if (watchers.isEmpty()) {
            return;
        }
        CompletableFuture<Void> signal = watchers.remove(text(valueKey));
        if (signal != null) {
            statistics.onNotification();
            signal.complete(null);
        }
    }

    private static byte[] newToken() {
        byte[] random = new byte[16];
        TOKENS.nextBytes(random);
        return random;
    }

    private static String text(byte[] key) {
        return new String(key, StandardCharsets.ISO_8859_1);
    }

    private static byte[] ascii(long number) {
        return Long.toString(number).getBytes(StandardCharsets.US_ASCII);
    }
}
