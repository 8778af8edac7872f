package io.github.multitiercache.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.Leases;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory twin of Redis as the engine uses it ({@link SharedTier} and {@link Leases}), with
 * expiry on a {@link FakeTime}, for the engine's fast tests: several caches over one instance behave
 * as several application instances over one Redis. It keeps the contract the real tier keeps (a
 * put drops the key's lease, a store is token-checked, an evict drops the lease first) and can be
 * taken {@linkplain #down(boolean) down}, when every call fails as a Redis call does.
 */
final class InMemoryRedis implements SharedBackend, TagStore {

    private static final SecureRandom TOKENS = new SecureRandom();

    private final FakeTime time;
    private final EntryCodec headers = new EntryCodec(JsonValueSerializer.forPackages("io.github.multitiercache."),
            0, 0);
    private final Map<String, Stored> data = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> watchers = new ConcurrentHashMap<>();
    private final List<Runnable> recoveries = new CopyOnWriteArrayList<>();
    private volatile boolean down;
    private volatile Runnable onWait = () -> { };
    /** The commands that reached this store (refused ones while down included). */
    final AtomicInteger commands = new AtomicInteger();

    InMemoryRedis(FakeTime time) {
        this.time = time;
    }

    private record Stored(byte[] bytes, long expiresAtMillis) {
    }

    /** Takes the store down, or brings it back, which runs the caches' recovery. */
    void down(boolean down) {
        boolean recovering = this.down && !down;
        this.down = down;
        if (recovering) {
            recoveries.forEach(Runnable::run);
        }
    }

    /**
     * Makes every call fail, or answer again, without telling the caches that Redis recovered: as
     * when a few commands time out but the circuit breaker never opens.
     */
    void losing(boolean losing) {
        this.down = losing;
    }

    /** Runs {@code action} each time a lease waiter waits: a test's stand-in for another instance at work. */
    void onWait(Runnable action) {
        this.onWait = action;
    }

    boolean exists(String key) {
        return get(key) != null;
    }

    @Nullable StoredEntry entry(String key) {
        byte[] bytes = get(key);
        return (bytes != null) ? headers.decode(bytes) : null;
    }

    /** Takes a key's lease as another instance's load would. */
    void holdLease(String key, Duration lease) {
        byte[] token = new byte[16];
        TOKENS.nextBytes(token);
        set("{" + key + "}:lock", token, lease.toMillis());
    }

    /** Ends another instance's load: its value lands, its lease goes, the waiters are told. */
    void completeLoad(String key, StoredEntry entry, long ttlMillis) {
        write(key, entry, ttlMillis);
        del("{" + key + "}:lock");
        notifyLoaded(key);
    }

    /** Writes an entry as another program (or instance) would. */
    void write(String key, StoredEntry entry, long ttlMillis) {
        set(key, headers.encode(entry), ttlMillis);
    }

    private byte @Nullable [] get(String key) {
        Stored stored = data.get(key);
        if (stored == null) {
            return null;
        }
        if (time.millis() >= stored.expiresAtMillis()) {
            data.remove(key, stored);
            return null;
        }
        return stored.bytes();
    }

    private void set(String key, byte[] bytes, long ttlMillis) {
        data.put(key, new Stored(bytes, time.millis() + ttlMillis));
    }

    private long del(String key) {
        return (get(key) != null && data.remove(key) != null) ? 1 : 0;
    }

    private volatile java.util.function.IntPredicate failing = n -> false;
    private final AtomicInteger sinceFailing = new AtomicInteger();

    /** Makes the commands fail that {@code failing} accepts, numbered from 1 from now on. */
    void onCommand(java.util.function.IntPredicate failing) {
        sinceFailing.set(0);
        this.failing = failing;
    }

    /** Counts a command; {@code false} while down. */
    private boolean call() {
        commands.incrementAndGet();
        return !down && !failing.test(sinceFailing.incrementAndGet());
    }

    private void notifyLoaded(String valueKey) {
        CompletableFuture<Void> signal = watchers.remove(valueKey);
        if (signal != null) {
            signal.complete(null);
        }
    }

    private static String text(byte[] key) {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** Loses every key, as a restart of Redis without persistence does. */
    void flush() {
        data.clear();
    }

    /** The tag records' TTLs asked for, by tag. */
    final Map<String, Long> tagRecordTtls = new ConcurrentHashMap<>();

    @Override
    public boolean record(String tag, long evictedAtMicros, long ttlMillis) {
        if (!call()) {
            return false;
        }
        String key = TagStore.recordPrefix("fast") + tag;
        byte[] current = get(key);
        long time = evictedAtMicros;
        if (current != null) {
            time = Math.max(time, Long.parseLong(new String(current, StandardCharsets.US_ASCII)));
        }
        tagRecordTtls.put(tag, ttlMillis);
        set(key, Long.toString(time).getBytes(StandardCharsets.US_ASCII), (ttlMillis > 0) ? ttlMillis : Long.MAX_VALUE / 4);
        return true;
    }

    /** One command for all the tags, as one {@code MGET}. */
    @Override
    public @Nullable Map<String, Long> fetch(List<String> tags) {
        if (!call()) {
            return null;
        }
        Map<String, Long> times = new java.util.HashMap<>();
        for (String tag : tags) {
            byte[] value = get(TagStore.recordPrefix("fast") + tag);
            if (value != null) {
                times.put(tag, Long.parseLong(new String(value, StandardCharsets.US_ASCII)));
            }
        }
        return times;
    }

    /** @return a tag's record in this store, or {@code null} */
    @Nullable Long tagRecord(String tag) {
        byte[] value = get(TagStore.recordPrefix("fast") + tag);
        return (value != null) ? Long.parseLong(new String(value, StandardCharsets.US_ASCII)) : null;
    }

    @Override
    public Leases leases(String loadedChannel, StampedeStatistics statistics) {
        return new MemoryLeases(statistics);
    }

    @Override
    public SharedTier tier(KeySpace keys, SafeCodec codec, HotKeys hotKeys, CacheStatistics statistics,
            Executor executor, @Nullable Leases leases) {
        return new MemoryTier(keys, codec, statistics, executor, leases);
    }

    @Override
    public @Nullable RedisTier replicaStore() {
        return null;
    }

    private final class MemoryTier implements SharedTier {

        private final KeySpace keys;
        private final SafeCodec codec;
        private final CacheStatistics statistics;
        private final Executor executor;
        private final @Nullable Leases leases;

        MemoryTier(KeySpace keys, SafeCodec codec, CacheStatistics statistics, Executor executor,
                @Nullable Leases leases) {
            this.keys = keys;
            this.codec = codec;
            this.statistics = statistics;
            this.executor = executor;
            this.leases = leases;
        }

        @Override
        public @Nullable StoredEntry read(CacheKey key, long ticket) {
            return call() ? codec.decodeNullable(key.text(), get(text(key.redisKey()))) : null;
        }

        @Override
        public CompletableFuture<@Nullable StoredEntry> readAsync(CacheKey key, long ticket) {
            return CompletableFuture.completedFuture(read(key, ticket));
        }

        /** One command for the whole batch, as one round trip of MGET. */
        @Override
        public List<@Nullable StoredEntry> readAll(List<CacheKey> keys) {
            boolean up = call();
            List<String> texts = new ArrayList<>();
            List<byte @Nullable []> values = new ArrayList<>();
            for (CacheKey key : keys) {
                texts.add(key.text());
                values.add(up ? get(text(key.redisKey())) : null);
            }
            return codec.decodeAll(texts, values);
        }

        /** One command for the whole batch, as one pipelined round trip. */
        @Override
        public boolean writeAll(List<CacheKey> keys, List<byte[]> bytes, long[] ttlMillis) {
            if (!call()) {
                return false;
            }
            for (int i = 0; i < keys.size(); i++) {
                set(text(keys.get(i).redisKey()), bytes.get(i), ttlMillis[i]);
            }
            return true;
        }

        @Override
        public void countMiss() {
            statistics.l2Misses.increment();
        }

        @Override
        public byte @Nullable [] encode(CacheKey key, StoredEntry entry) {
            return codec.encode(key.text(), entry);
        }

        @Override
        public boolean write(CacheKey key, byte[] bytes, long ttlMillis, boolean byApplication) {
            if (!call()) {
                return false;
            }
            if (byApplication && leases != null) {
                del(lock(key.redisKey()));
            }
            set(text(key.redisKey()), bytes, ttlMillis);
            return true;
        }

        @Override
        public CompletableFuture<Boolean> writeAsync(CacheKey key, byte[] bytes, long ttlMillis) {
            return CompletableFuture.completedFuture(write(key, bytes, ttlMillis, false));
        }

        @Override
        public RedisTier.SetIfAbsentResult writeIfAbsent(CacheKey key, byte[] bytes, long ttlMillis,
                boolean byApplication) {
            if (!call()) {
                return new RedisTier.SetIfAbsentResult(false, null, true);
            }
            byte[] present = get(text(key.redisKey()));
            if (present != null) {
                return new RedisTier.SetIfAbsentResult(false, present, false);
            }
            if (byApplication && leases != null) {
                del(lock(key.redisKey()));
            }
            set(text(key.redisKey()), bytes, ttlMillis);
            return new RedisTier.SetIfAbsentResult(true, null, false);
        }

        @Override
        public long delete(CacheKey key) {
            if (!call()) {
                return -1;
            }
            del(lock(key.redisKey()));
            return del(text(key.redisKey()));
        }

        /** One command for the whole batch, as one pipelined round trip of UNLINK. */
        @Override
        public long deleteAll(List<CacheKey> keys) {
            if (!call()) {
                return -1;
            }
            long removed = 0;
            for (CacheKey key : keys) {
                removed += del(lock(key.redisKey())) + del(text(key.redisKey()));
            }
            return removed;
        }

        @Override
        public long clear() {
            if (!call()) {
                return -1;
            }
            String values = text(keys.redisKey(""));
            long removed = 0;
            for (String key : new ArrayList<>(data.keySet())) {
                if (key.startsWith(values)) {
                    removed += del(key);
                }
                else if (key.startsWith("{" + values)) {
                    del(key);
                }
            }
            return removed;
        }

        @Override
        public long fillLimit(long logicalTtlMillis) {
            return logicalTtlMillis;
        }

        @Override
        public @Nullable Leases coordinator() {
            return leases;
        }

        @Override
        public void onRecovery(Runnable action) {
            recoveries.add(() -> executor.execute(action));
        }
    }

    private static String lock(byte[] valueKey) {
        return "{" + text(valueKey) + "}:lock";
    }

    private final class MemoryLeases implements Leases {

        private final StampedeStatistics statistics;

        MemoryLeases(StampedeStatistics statistics) {
            this.statistics = statistics;
        }

        @Override
        public byte[] lockKey(byte[] valueKey) {
            return lock(valueKey).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public synchronized Acquisition acquire(byte[] valueKey, byte[] lockKey, long leaseMillis, long nowMillis,
                @Nullable Long refreshOf) {
            if (!call()) {
                return Acquisition.UNAVAILABLE;
            }
            return acquireOne(valueKey, lockKey, leaseMillis, nowMillis, refreshOf);
        }

        private Acquisition acquireOne(byte[] valueKey, byte[] lockKey, long leaseMillis, long nowMillis,
                @Nullable Long refreshOf) {
            byte[] value = get(text(valueKey));
            if (value != null) {
                long expiry = headers.decode(value).expiresAtEpochMillis();
                if ((refreshOf == null) ? expiry > nowMillis : expiry != refreshOf) {
                    return new Acquisition(Acquisition.State.PRESENT, null, value);
                }
            }
            if (get(text(lockKey)) == null) {
                byte[] token = new byte[16];
                TOKENS.nextBytes(token);
                set(text(lockKey), token, leaseMillis);
                statistics.onLockAcquired();
                return new Acquisition(Acquisition.State.ACQUIRED, token, value);
            }
            return new Acquisition(Acquisition.State.HELD, null, value);
        }

        /**
         * One command for the whole batch, as the script: a fresh entry is returned, any other key
         * leased or found held; with {@code nowMillis} 0 any envelope present is fresh.
         */
        @Override
        public synchronized List<Acquisition> acquireAll(List<byte[]> valueKeys, List<byte[]> lockKeys,
                long leaseMillis, long nowMillis) {
            if (!call()) {
                return valueKeys.stream().map(any -> Acquisition.UNAVAILABLE).toList();
            }
            List<Acquisition> outcomes = new ArrayList<>();
            for (int i = 0; i < valueKeys.size(); i++) {
                byte[] value = get(text(valueKeys.get(i)));
                if (value != null && fresh(value, nowMillis)) {
                    outcomes.add(new Acquisition(Acquisition.State.PRESENT, null, value));
                }
                else if (get(text(lockKeys.get(i))) == null) {
                    byte[] token = new byte[16];
                    TOKENS.nextBytes(token);
                    set(text(lockKeys.get(i)), token, leaseMillis);
                    statistics.onLockAcquired();
                    outcomes.add(new Acquisition(Acquisition.State.ACQUIRED, token, value));
                }
                else {
                    outcomes.add(new Acquisition(Acquisition.State.HELD, null, value));
                }
            }
            return outcomes;
        }

        /** The script's test: an envelope (magic byte, full header) expiring after {@code nowMillis}, or any with 0. */
        private static boolean fresh(byte[] value, long nowMillis) {
            if (value.length < 19 || value[0] != EntryCodec.MAGIC) {
                return false;
            }
            return nowMillis == 0 || ByteBuffer.wrap(value, 11, 8).getLong() > nowMillis;
        }

        /** One command for the whole batch; each key as {@link #store}, or {@link #release} for a null value. */
        @Override
        public synchronized boolean[] storeAll(List<byte[]> valueKeys, List<byte[]> lockKeys, List<byte[]> tokens,
                List<byte @Nullable []> values, long[] ttlMillis) {
            boolean[] stored = new boolean[valueKeys.size()];
            if (!call()) {
                return stored;
            }
            for (int i = 0; i < stored.length; i++) {
                byte[] value = values.get(i);
                byte[] held = get(text(lockKeys.get(i)));
                if (held == null || !Arrays.equals(held, tokens.get(i))) {
                    if (value != null) {
                        statistics.onRejectedStore();
                    }
                    continue;
                }
                if (value != null) {
                    set(text(valueKeys.get(i)), value, ttlMillis[i]);
                    stored[i] = true;
                }
                del(text(lockKeys.get(i)));
                notifyLoaded(text(valueKeys.get(i)));
            }
            return stored;
        }

        @Override
        public CompletableFuture<Acquisition> acquireAsync(byte[] valueKey, byte[] lockKey, long leaseMillis,
                long nowMillis, @Nullable Long refreshOf) {
            return CompletableFuture.completedFuture(acquire(valueKey, lockKey, leaseMillis, nowMillis, refreshOf));
        }

        @Override
        public synchronized boolean store(byte[] valueKey, byte[] lockKey, byte[] token, byte[] value,
                long ttlMillis) {
            if (!call()) {
                return false;
            }
            byte[] held = get(text(lockKey));
            if (held == null || !Arrays.equals(held, token)) {
                statistics.onRejectedStore();
                return false;
            }
            set(text(valueKey), value, ttlMillis);
            del(text(lockKey));
            notifyLoaded(text(valueKey));
            return true;
        }

        @Override
        public CompletableFuture<Boolean> storeAsync(byte[] valueKey, byte[] lockKey, byte[] token, byte[] value,
                long ttlMillis) {
            return CompletableFuture.completedFuture(store(valueKey, lockKey, token, value, ttlMillis));
        }

        @Override
        public synchronized void release(byte[] valueKey, byte[] lockKey, byte[] token) {
            if (call() && Arrays.equals(get(text(lockKey)), token)) {
                del(text(lockKey));
                notifyLoaded(text(valueKey));
            }
        }

        @Override
        public CompletableFuture<?> releaseAsync(byte[] valueKey, byte[] lockKey, byte[] token) {
            release(valueKey, lockKey, token);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized boolean put(byte[] valueKey, byte[] lockKey, byte[] value, long ttlMillis) {
            if (!call()) {
                return false;
            }
            del(text(lockKey));
            set(text(valueKey), value, ttlMillis);
            return true;
        }

        @Override
        public synchronized RedisTier.SetIfAbsentResult putIfAbsent(byte[] valueKey, byte[] lockKey, byte[] value,
                long ttlMillis) {
            if (!call()) {
                return new RedisTier.SetIfAbsentResult(false, null, true);
            }
            byte[] present = get(text(valueKey));
            if (present != null) {
                return new RedisTier.SetIfAbsentResult(false, present, false);
            }
            set(text(valueKey), value, ttlMillis);
            del(text(lockKey));
            return new RedisTier.SetIfAbsentResult(true, null, false);
        }

        @Override
        public synchronized long evict(byte[] valueKey, byte[] lockKey) {
            if (!call()) {
                return -1;
            }
            del(text(lockKey));
            return del(text(valueKey));
        }

        @Override
        public CompletableFuture<Void> watch(byte[] valueKey) {
            return watchers.computeIfAbsent(text(valueKey), key -> new CompletableFuture<>());
        }

        @Override
        public void unwatch(byte[] valueKey, CompletableFuture<Void> signal) {
            watchers.remove(text(valueKey), signal);
        }

        /** Waits in fake time: the wait's length passes at once, after the test's stand-in had its turn. */
        @Override
        public boolean await(CompletableFuture<Void> signal, long nanos) {
            onWait.run();
            if (!signal.isDone()) {
                time.advance(Duration.ofNanos(nanos));
            }
            return signal.isDone();
        }

        @Override
        public CompletableFuture<Boolean> awaitAsync(CompletableFuture<Void> signal, long nanos, Executor executor) {
            return CompletableFuture.completedFuture(await(signal, nanos));
        }
    }
}
