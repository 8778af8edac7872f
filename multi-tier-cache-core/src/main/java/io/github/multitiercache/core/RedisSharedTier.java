package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisBatches;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.Leases;
import org.jspecify.annotations.Nullable;

/** The {@link SharedTier} of a cache with L2 on, over the manager's {@link RedisTier}. */
final class RedisSharedTier implements SharedTier {

    private final RedisTier redis;
    private final RedisBatches batches;
    private final KeySpace keys;
    private final SafeCodec codec;
    private final HotKeys hotKeys;
    private final CacheStatistics statistics;
    private final Executor executor;
    private final @Nullable Leases coordinator;

    /**
     * @param coordinator the cache's lease protocol, {@code null} when it is not coordinated
     */
    RedisSharedTier(RedisTier redis, KeySpace keys, SafeCodec codec, HotKeys hotKeys, CacheStatistics statistics,
            Executor executor, @Nullable Leases coordinator) {
        this.redis = redis;
        this.batches = new RedisBatches(redis);
        this.keys = keys;
        this.codec = codec;
        this.hotKeys = hotKeys;
        this.statistics = statistics;
        this.executor = executor;
        this.coordinator = coordinator;
    }

    @Override
    public @Nullable StoredEntry read(CacheKey key, long ticket) {
        byte[] replica = hotKeys.replicaToRead(key.text());
        if (replica != null) {
            StoredEntry entry = fromReplica(key, redis.get(replica));
            if (entry != null) {
                return entry;
            }
        }
        return fromKey(key, redis.get(key.redisKey()), replica, ticket);
    }

    @Override
    public CompletableFuture<@Nullable StoredEntry> readAsync(CacheKey key, long ticket) {
        byte[] replica = hotKeys.replicaToRead(key.text());
        if (replica == null) {
            return redis.getAsync(key.redisKey()).thenApply(bytes -> fromKey(key, bytes, null, ticket));
        }
        return redis.getAsync(replica).thenCompose(copy -> {
            StoredEntry entry = fromReplica(key, copy);
            return (entry != null) ? CompletableFuture.completedFuture(entry)
                    : redis.getAsync(key.redisKey()).thenApply(bytes -> fromKey(key, bytes, replica, ticket));
        });
    }

    @Override
    public List<@Nullable StoredEntry> readAll(List<CacheKey> keys) {
        List<byte[]> redisKeys = new ArrayList<>(keys.size());
        for (CacheKey key : keys) {
            redisKeys.add(key.redisKey());
        }
        List<byte @Nullable []> values = batches.getAll(redisKeys);
        if (values == null) {
            return java.util.Arrays.asList(new StoredEntry[keys.size()]);
        }
        List<String> texts = new ArrayList<>(keys.size());
        for (CacheKey key : keys) {
            texts.add(key.text());
        }
        return codec.decodeAll(texts, values);
    }

    @Override
    public boolean writeAll(List<CacheKey> keys, List<byte[]> bytes, long[] ttlMillis) {
        List<byte[]> redisKeys = new ArrayList<>(keys.size());
        for (CacheKey key : keys) {
            redisKeys.add(key.redisKey());
        }
        return batches.setAll(redisKeys, bytes, ttlMillis);
    }

    /** A replica's reply: its entry serves the read, or the key itself is read next. */
    private @Nullable StoredEntry fromReplica(CacheKey key, byte @Nullable [] copy) {
        StoredEntry entry = codec.decodeNullable(key.text(), copy);
        if (entry != null) {
            hotKeys.onReplicaHit();
        }
        return entry;
    }

    /** The key's own reply; when a replica was read first and missed, a value found here is copied to it. */
    private @Nullable StoredEntry fromKey(CacheKey key, byte @Nullable [] bytes, byte @Nullable [] replica,
            long ticket) {
        StoredEntry entry = codec.decodeNullable(key.text(), bytes);
        if (replica != null && entry != null) {
            hotKeys.replicaMissed(replica, key, Objects.requireNonNull(bytes), entry, ticket);
        }
        return entry;
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
        byte[] lockKey = byApplication ? lockKey(key.redisKey()) : null;
        return (lockKey != null) ? Objects.requireNonNull(coordinator).put(key.redisKey(), lockKey, bytes, ttlMillis)
                : redis.set(key.redisKey(), bytes, ttlMillis);
    }

    @Override
    public CompletableFuture<Boolean> writeAsync(CacheKey key, byte[] bytes, long ttlMillis) {
        return redis.setAsync(key.redisKey(), bytes, ttlMillis);
    }

    @Override
    public RedisTier.SetIfAbsentResult writeIfAbsent(CacheKey key, byte[] bytes, long ttlMillis,
            boolean byApplication) {
        byte[] lockKey = byApplication ? lockKey(key.redisKey()) : null;
        return (lockKey != null)
                ? Objects.requireNonNull(coordinator).putIfAbsent(key.redisKey(), lockKey, bytes, ttlMillis)
                : redis.setIfAbsent(key.redisKey(), bytes, ttlMillis);
    }

    @Override
    public long delete(CacheKey key) {
        byte[] lockKey = lockKey(key.redisKey());
        long removed = (lockKey != null) ? Objects.requireNonNull(coordinator).evict(key.redisKey(), lockKey)
                : redis.delete(key.redisKey());
        hotKeys.deleted(key.text());
        return removed;
    }

    @Override
    public long deleteAll(List<CacheKey> keys) {
        List<byte[]> redisKeys = new ArrayList<>(2 * keys.size());
        for (CacheKey key : keys) {
            byte[] lockKey = lockKey(key.redisKey());
            if (lockKey != null) {
                // Before the value, as in delete: a load under way cannot write it back.
                redisKeys.add(lockKey);
            }
            redisKeys.add(key.redisKey());
        }
        long removed = batches.deleteAll(redisKeys);
        CompletableFuture<?>[] replicas = new CompletableFuture<?>[keys.size()];
        for (int i = 0; i < replicas.length; i++) {
            replicas[i] = hotKeys.deletedAsync(keys.get(i).text());
        }
        HotKeyReplicas.await(CompletableFuture.allOf(replicas));
        return removed;
    }

    @Override
    public long clear() {
        long locks = (coordinator != null) ? redis.deleteMatching(keys.locksPattern()) : 0;
        long removed = (locks < 0) ? -1 : redis.deleteMatching(keys.valuesPattern());
        if (removed >= 0 && hotKeys.replicas().active() && redis.deleteMatching(keys.replicasPattern()) < 0) {
            removed = -1;
        }
        return removed;
    }

    @Override
    public long fillLimit(long logicalTtlMillis) {
        return logicalTtlMillis;
    }

    @Override
    public @Nullable Leases coordinator() {
        return coordinator;
    }

    @Override
    public void onRecovery(Runnable action) {
        redis.circuitBreaker().addListener((from, to) -> {
            if (to == CircuitBreaker.State.CLOSED) {
                try {
                    executor.execute(action);
                }
                catch (RejectedExecutionException ex) {
                    // Shutting down: there is nothing left to recover for.
                }
            }
        });
    }

    private byte @Nullable [] lockKey(byte[] valueKey) {
        Leases coordinator = this.coordinator;
        return (coordinator != null) ? coordinator.lockKey(valueKey) : null;
    }
}
