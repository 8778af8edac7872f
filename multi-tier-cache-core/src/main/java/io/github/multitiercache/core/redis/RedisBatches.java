package io.github.multitiercache.core.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

/**
 * The commands of bulk reads and writes, over a {@link RedisTier} (its connection, command timeout
 * and circuit breaker): each call sends all its commands at once, pipelined, and waits for their
 * replies together, within one command timeout.
 *
 * <p>On a Redis Cluster, Lettuce sends each command to the node of its slot and splits an
 * {@code MGET} into one {@code MGET} per slot, so that a call costs one round trip per node (its
 * commands are pipelined on each node's connection), not one per key. Multi-key scripts must have
 * all their keys in one slot: callers group keys with {@link #slotGroups(List, boolean, int)}.
 *
 * <p>As with {@link RedisTier}, nothing here throws because Redis failed: a call reports
 * {@code null} or {@code false} for the whole batch, counted and logged by the tier.
 */
public final class RedisBatches {

    /** The most keys one {@code MGET} or {@code UNLINK} names: a larger call is split, and the parts pipelined. */
    static final int MGET_CHUNK = 500;

    private final RedisTier redis;

    /**
     * @param redis the tier whose connection, timeout and breaker the batches use
     */
    public RedisBatches(RedisTier redis) {
        this.redis = Objects.requireNonNull(redis, "redis");
    }

    /**
     * Reads many keys: {@code MGET} (one per slot on a cluster, at most {@value #MGET_CHUNK} keys each),
     * pipelined.
     * @param keys the Redis keys
     * @return their values in the order of {@code keys}, {@code null} for a missing key; or
     *         {@code null} when Redis is unavailable
     */
    public @Nullable List<byte @Nullable []> getAll(List<byte[]> keys) {
        if (keys.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<List<KeyValue<byte[], byte[]>>>> parts = chunked("MGET", false, keys,
                RedisClusterAsyncCommands::mget);
        if (parts == null) {
            return null;
        }
        List<byte @Nullable []> values = new ArrayList<>(keys.size());
        for (CompletableFuture<List<KeyValue<byte[], byte[]>>> part : parts) {
            for (KeyValue<byte[], byte[]> value : part.join()) {
                values.add(value.hasValue() ? value.getValue() : null);
            }
        }
        return values;
    }

    /**
     * Writes many keys, each with its own TTL: one {@code SET PX} per key, pipelined.
     * @param keys the Redis keys
     * @param values their values
     * @param ttlMillis their TTLs, positive
     * @return whether Redis acknowledged every write
     */
    public boolean setAll(List<byte[]> keys, List<byte[]> values, long[] ttlMillis) {
        if (keys.isEmpty()) {
            return true;
        }
        return redis.execute("SET", true, commands -> {
            CompletableFuture<?>[] sets = new CompletableFuture<?>[keys.size()];
            for (int i = 0; i < sets.length; i++) {
                sets[i] = commands.set(keys.get(i), values.get(i), SetArgs.Builder.px(ttlMillis[i]))
                        .toCompletableFuture();
            }
            return CompletableFuture.allOf(sets);
        }) != RedisTier.FAILED;
    }

    /**
     * Sends one multi-key command per chunk of at most {@value #MGET_CHUNK} keys, pipelined (Lettuce
     * splits a chunk by slot on a cluster).
     * @return the replies of the chunks, in order; {@code null} when Redis is unavailable
     */
    private <T> @Nullable List<CompletableFuture<T>> chunked(String operation, boolean write, List<byte[]> keys,
            BiFunction<RedisClusterAsyncCommands<byte[], byte[]>, byte[][], RedisFuture<T>> command) {
        List<CompletableFuture<T>> parts = new ArrayList<>();
        Object reply = redis.execute(operation, write, commands -> {
            for (int from = 0; from < keys.size(); from += MGET_CHUNK) {
                byte[][] chunk = keys.subList(from, Math.min(keys.size(), from + MGET_CHUNK)).toArray(new byte[0][]);
                parts.add(command.apply(commands, chunk).toCompletableFuture());
            }
            return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]));
        });
        return (reply == RedisTier.FAILED) ? null : parts;
    }

    /**
     * Deletes many keys: {@code UNLINK} (one per slot on a cluster, at most {@value #MGET_CHUNK} keys
     * each), pipelined, so one round trip per node. On one node the commands run in the order of
     * {@code keys}; keys of one slot that fall in one chunk go in the same command, at once.
     * @param keys the Redis keys
     * @return the number of keys removed (0 when the commands were sent from an I/O thread without
     *         waiting for the reply), or -1 when Redis is unavailable
     */
    public long deleteAll(List<byte[]> keys) {
        if (keys.isEmpty()) {
            return 0;
        }
        List<CompletableFuture<Long>> parts = chunked("UNLINK", true, keys, RedisClusterAsyncCommands::unlink);
        if (parts == null) {
            return -1;
        }
        long removed = 0;
        for (CompletableFuture<Long> part : parts) {
            // Not yet answered only when sent from an I/O thread.
            Long count = (part.isDone() && !part.isCompletedExceptionally()) ? part.join() : null;
            removed += (count != null) ? count : 0;
        }
        return removed;
    }

    /**
     * Runs one script several times, pipelined (EVALSHA, and EVAL with the source where Redis does
     * not know it yet). On a cluster the keys of each run must share a slot.
     * @param script the script
     * @param output the type of its reply
     * @param keys the keys of each run
     * @param args the arguments of each run
     * @return the replies in the order of the runs; every one failed when Redis is unavailable
     */
    public List<RedisTier.ScriptReply> evalAll(RedisTier.LuaScript script, ScriptOutputType output,
            List<byte[][]> keys, List<byte[][]> args) {
        if (keys.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<?>> runs = new ArrayList<>(keys.size());
        Object reply = redis.execute("EVALSHA", false, commands -> {
            for (int i = 0; i < keys.size(); i++) {
                runs.add((CompletableFuture<?>) RedisTier.evaluate(script, output, keys.get(i), args.get(i))
                        .apply(commands));
            }
            return CompletableFuture.allOf(runs.toArray(new CompletableFuture<?>[0]));
        });
        List<RedisTier.ScriptReply> replies = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            replies.add((reply == RedisTier.FAILED) ? RedisTier.ScriptReply.FAILED
                    : RedisTier.scriptReply(runs.get(i).join()));
        }
        return replies;
    }

    /**
     * Groups keys for multi-key scripts: on a cluster by hash slot, and in groups of at most
     * {@code limit} keys, so that no one script runs long.
     * @param keys the keys
     * @param cluster whether Redis is a cluster
     * @param limit the most keys per group
     * @return the groups, each a list of indexes into {@code keys}, in the order of their first key
     */
    public static List<int[]> slotGroups(List<byte[]> keys, boolean cluster, int limit) {
        List<int[]> groups = new ArrayList<>();
        Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            int slot = cluster ? SlotHash.getSlot(keys.get(i)) : 0;
            bySlot.computeIfAbsent(slot, any -> new ArrayList<>()).add(i);
        }
        for (List<Integer> slot : bySlot.values()) {
            for (int from = 0; from < slot.size(); from += limit) {
                groups.add(slot.subList(from, Math.min(slot.size(), from + limit)).stream()
                        .mapToInt(Integer::intValue).toArray());
            }
        }
        return groups;
    }
}
