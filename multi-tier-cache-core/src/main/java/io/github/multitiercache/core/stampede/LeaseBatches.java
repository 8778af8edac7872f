package io.github.multitiercache.core.stampede;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

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
 * Redis, one script for up to {@value #GROUP} keys), the groups pipelined, so that a bulk read takes
 * its leases in the very round trip that reads its values, and later stores the values it loaded in
 * one more: two round trips per node for a read that loads.
 */
final class LeaseBatches {

    /** The most keys one script handles, so that no script holds Redis up for long. */
    static final int GROUP = 200;

    /**
     * KEYS: the value keys, then their lock keys in the same order. ARGV: lease ms, now ms (0: any
     * entry present is fresh), the token prefix (the token of the i-th key is the prefix followed by
     * i in ASCII). Replies per key the entry itself when it is fresh (present, an envelope, and with
     * a non-zero now expiring after it: the big-endian expiresAt at offset 11 of the envelope); otherwise
     * {2, value or ''} when it took the key's lease, {0, value or ''} when another load holds it, as
     * ACQUIRE does for a load. One MGET reads the values (cheaper in a script than one GET per key);
     * the expiry is decoded only when now is given, that is with fail-safe, whose expired entries
     * Redis keeps.
     */
    private static final LuaScript ACQUIRE_ALL = LuaScript.of("""
            local n = #KEYS / 2
            local now = tonumber(ARGV[2])
            local values = redis.call('MGET', unpack(KEYS, 1, n))
            for i = 1, n do
              local v = values[i]
              local fresh = false
              if v and string.byte(v, 1) == 193 and string.len(v) >= 19 then
                if now == 0 then
                  fresh = true
                else
                  local a, b, c, d, e, f, g, h = string.byte(v, 12, 19)
                  fresh = ((((((a * 256 + b) * 256 + c) * 256 + d) * 256 + e) * 256 + f) * 256 + g) * 256 + h > now
                end
              end
              if not fresh then
                local state = 0
                if redis.call('SET', KEYS[n + i], ARGV[3] .. i, 'NX', 'PX', ARGV[1]) then
                  state = 2
                end
                values[i] = { state, v or '' }
              end
            end
            return values
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

    /**
     * Reads the keys and takes the leases of those without a fresh entry, in one script per group
     * of keys sharing a slot, the groups pipelined: one round trip per node.
     * @param nowMillis the current time; 0 to take any entry present as fresh (without fail-safe,
     *        whose entries Redis drops when they expire)
     */
    List<Acquisition> acquireAll(List<byte[]> valueKeys, List<byte[]> lockKeys, long leaseMillis, long nowMillis,
            Supplier<byte[]> tokenPrefixes) {
        List<int[]> groups = RedisBatches.slotGroups(valueKeys, redis.isCluster(), GROUP);
        List<byte[][]> keys = new ArrayList<>(groups.size());
        List<byte[][]> args = new ArrayList<>(groups.size());
        List<byte[]> prefixes = new ArrayList<>(groups.size());
        for (int[] group : groups) {
            byte[][] groupKeys = new byte[2 * group.length][];
            for (int i = 0; i < group.length; i++) {
                groupKeys[i] = valueKeys.get(group[i]);
                groupKeys[group.length + i] = lockKeys.get(group[i]);
            }
            byte[] prefix = tokenPrefixes.get();
            prefixes.add(prefix);
            keys.add(groupKeys);
            args.add(new byte[][] { ascii(leaseMillis), ascii(nowMillis), prefix });
        }
        List<ScriptReply> replies = batches.evalAll(ACQUIRE_ALL, ScriptOutputType.MULTI, keys, args);
        Acquisition[] outcomes = new Acquisition[valueKeys.size()];
        for (int g = 0; g < groups.size(); g++) {
            int[] group = groups.get(g);
            ScriptReply reply = replies.get(g);
            List<?> parts = (!reply.failed() && reply.value() instanceof List<?> list && list.size() == group.length)
                    ? list : null;
            for (int i = 0; i < group.length; i++) {
                outcomes[group[i]] = (parts == null) ? Acquisition.UNAVAILABLE
                        : acquisition(parts.get(i), prefixes.get(g), i + 1);
            }
        }
        return List.of(outcomes);
    }

    /** One key's part of the reply: its fresh entry, or its lease state and what Redis holds. */
    private Acquisition acquisition(@Nullable Object part, byte[] prefix, int index) {
        if (part instanceof byte[] fresh) {
            return new Acquisition(Acquisition.State.PRESENT, null, fresh);
        }
        if (!(part instanceof List<?> lease) || lease.size() != 2) {
            return Acquisition.UNAVAILABLE;
        }
        long state = (lease.get(0) instanceof Long number) ? number : -1;
        byte[] value = (lease.get(1) instanceof byte[] bytes && bytes.length > 0) ? bytes : null;
        if (state == 2) {
            statistics.onLockAcquired();
            return new Acquisition(Acquisition.State.ACQUIRED, token(prefix, index), value);
        }
        return (state == 0) ? new Acquisition(Acquisition.State.HELD, null, value) : Acquisition.UNAVAILABLE;
    }

    /** The token the script gave the {@code index}-th key (from 1) of a group: the prefix, then the index. */
    static byte[] token(byte[] prefix, int index) {
        byte[] suffix = ascii(index);
        byte[] token = Arrays.copyOf(prefix, prefix.length + suffix.length);
        System.arraycopy(suffix, 0, token, prefix.length, suffix.length);
        return token;
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
