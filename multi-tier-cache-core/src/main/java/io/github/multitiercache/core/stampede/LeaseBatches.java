package io.github.multitiercache.core.stampede;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.github.multitiercache.core.redis.RedisBatches;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.redis.RedisTier.LuaScript;
import io.github.multitiercache.core.redis.RedisTier.ScriptReply;
import io.github.multitiercache.core.stampede.Leases.Acquisition;
import io.lettuce.core.ScriptOutputType;
import org.jspecify.annotations.Nullable;

/**
 * The lease protocol of {@link LoadCoordinator} for many keys at once: the same checks as its
 * one-key scripts, run by one script per group of keys that share a cluster slot (on a standalone
 * Redis, one script for up to {@value #GROUP} keys), the groups pipelined, so that a bulk load takes
 * its leases, and later stores its values, in one round trip per node.
 */
final class LeaseBatches {

    /** The most keys one script handles, so that no script holds Redis up for long. */
    static final int GROUP = 200;

    /**
     * KEYS: value 1, lock 1, value 2, lock 2, … ARGV: lease ms, now ms, token 1, token 2, … Replies
     * per key a state (1 present, 2 acquired, 0 held) and the value ('' for none), as ACQUIRE does
     * for a load.
     */
    private static final LuaScript ACQUIRE_ALL = LuaScript.of("""
            local out = {}
            for i = 1, #KEYS / 2 do
              local v = redis.call('GET', KEYS[2 * i - 1])
              local fresh = false
              if v and string.byte(v, 1) == 193 and string.len(v) >= 19 then
                local e = 0
                for j = 12, 19 do e = e * 256 + string.byte(v, j) end
                fresh = e > tonumber(ARGV[2])
              end
              if fresh then
                out[#out + 1] = 1
              elseif redis.call('SET', KEYS[2 * i], ARGV[2 + i], 'NX', 'PX', ARGV[1]) then
                out[#out + 1] = 2
              else
                out[#out + 1] = 0
              end
              out[#out + 1] = v or ''
            end
            return out
            """);

    /**
     * KEYS: value 1, lock 1, … ARGV: channel, then per key token, value ('' to release only), ttl ms.
     * Replies per key 1 when the lock held the token (the value is written, the lock deleted and the
     * key announced), 0 otherwise, as STORE and RELEASE do.
     */
    private static final LuaScript STORE_ALL = LuaScript.of("""
            local out = {}
            for i = 1, #KEYS / 2 do
              local a = 2 + 3 * (i - 1)
              if redis.call('GET', KEYS[2 * i]) == ARGV[a] then
                if ARGV[a + 1] ~= '' then
                  redis.call('SET', KEYS[2 * i - 1], ARGV[a + 1], 'PX', ARGV[a + 2])
                end
                redis.call('DEL', KEYS[2 * i])
                redis.call('PUBLISH', ARGV[1], KEYS[2 * i - 1])
                out[i] = 1
              else
                out[i] = 0
              end
            end
            return out
            """);

    private static final byte[] NONE = new byte[0];

    private final RedisTier redis;
    private final RedisBatches batches;
    private final byte[] channel;
    private final StampedeStatistics statistics;

    LeaseBatches(RedisTier redis, byte[] channel, StampedeStatistics statistics) {
        this.redis = redis;
        this.batches = new RedisBatches(redis);
        this.channel = channel;
        this.statistics = statistics;
    }

    List<Acquisition> acquireAll(List<byte[]> valueKeys, List<byte[]> lockKeys, long leaseMillis, long nowMillis,
            List<byte[]> tokens) {
        List<int[]> groups = RedisBatches.slotGroups(valueKeys, redis.isCluster(), GROUP);
        List<byte[][]> keys = new ArrayList<>(groups.size());
        List<byte[][]> args = new ArrayList<>(groups.size());
        for (int[] group : groups) {
            byte[][] groupKeys = new byte[2 * group.length][];
            byte[][] groupArgs = new byte[2 + group.length][];
            groupArgs[0] = ascii(leaseMillis);
            groupArgs[1] = ascii(nowMillis);
            for (int i = 0; i < group.length; i++) {
                groupKeys[2 * i] = valueKeys.get(group[i]);
                groupKeys[2 * i + 1] = lockKeys.get(group[i]);
                groupArgs[2 + i] = tokens.get(group[i]);
            }
            keys.add(groupKeys);
            args.add(groupArgs);
        }
        List<ScriptReply> replies = batches.evalAll(ACQUIRE_ALL, ScriptOutputType.MULTI, keys, args);
        Acquisition[] outcomes = new Acquisition[valueKeys.size()];
        for (int g = 0; g < groups.size(); g++) {
            int[] group = groups.get(g);
            ScriptReply reply = replies.get(g);
            List<?> parts = (!reply.failed() && reply.value() instanceof List<?> list
                    && list.size() == 2 * group.length) ? list : null;
            for (int i = 0; i < group.length; i++) {
                outcomes[group[i]] = (parts == null) ? Acquisition.UNAVAILABLE
                        : acquisition(parts.get(2 * i), parts.get(2 * i + 1), tokens.get(group[i]));
            }
        }
        return List.of(outcomes);
    }

    private Acquisition acquisition(@Nullable Object code, @Nullable Object reply, byte[] token) {
        long state = (code instanceof Long number) ? number : -1;
        byte[] value = (reply instanceof byte[] bytes && bytes.length > 0) ? bytes : null;
        if (state == 1) {
            return new Acquisition(Acquisition.State.PRESENT, null, value);
        }
        if (state == 2) {
            statistics.onLockAcquired();
            return new Acquisition(Acquisition.State.ACQUIRED, token, value);
        }
        return (state == 0) ? new Acquisition(Acquisition.State.HELD, null, value) : Acquisition.UNAVAILABLE;
    }

    boolean[] storeAll(List<byte[]> valueKeys, List<byte[]> lockKeys, List<byte[]> tokens,
            List<byte @Nullable []> values, long[] ttlMillis) {
        List<int[]> groups = RedisBatches.slotGroups(valueKeys, redis.isCluster(), GROUP);
        List<byte[][]> keys = new ArrayList<>(groups.size());
        List<byte[][]> args = new ArrayList<>(groups.size());
        for (int[] group : groups) {
            byte[][] groupKeys = new byte[2 * group.length][];
            byte[][] groupArgs = new byte[1 + 3 * group.length][];
            groupArgs[0] = channel;
            for (int i = 0; i < group.length; i++) {
                int k = group[i];
                groupKeys[2 * i] = valueKeys.get(k);
                groupKeys[2 * i + 1] = lockKeys.get(k);
                byte[] value = values.get(k);
                groupArgs[1 + 3 * i] = tokens.get(k);
                groupArgs[2 + 3 * i] = (value != null) ? value : NONE;
                groupArgs[3 + 3 * i] = ascii(ttlMillis[k]);
            }
            keys.add(groupKeys);
            args.add(groupArgs);
        }
        List<ScriptReply> replies = batches.evalAll(STORE_ALL, ScriptOutputType.MULTI, keys, args);
        boolean[] stored = new boolean[valueKeys.size()];
        for (int g = 0; g < groups.size(); g++) {
            int[] group = groups.get(g);
            ScriptReply reply = replies.get(g);
            if (reply.failed() || !(reply.value() instanceof List<?> parts) || parts.size() != group.length) {
                continue;
            }
            for (int i = 0; i < group.length; i++) {
                boolean held = Long.valueOf(1).equals(parts.get(i));
                boolean storing = values.get(group[i]) != null;
                stored[group[i]] = held && storing;
                if (!held && storing) {
                    statistics.onRejectedStore();
                }
            }
        }
        return stored;
    }

    private static byte[] ascii(long number) {
        return Long.toString(number).getBytes(StandardCharsets.US_ASCII);
    }
}
