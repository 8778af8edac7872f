package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.multitiercache.core.redis.RedisBatches;
import io.github.multitiercache.core.redis.RedisTier;
import io.lettuce.core.ScriptOutputType;
import org.jspecify.annotations.Nullable;

/**
 * Where the eviction time of each tag lives for the whole fleet: one Redis key per tag,
 * {@code <prefix>:%tag:<tag>}, holding the time in epoch microseconds. A cache's segment of a key
 * never starts with {@code %} (it is percent-encoded), so no value, lock or replica key can be
 * a tag record. In the engine's fast tests, the in-memory twin of Redis.
 */
interface TagStore {

    /** A store for a manager without Redis: nothing is recorded, no tag was ever evicted elsewhere. */
    TagStore NONE = new TagStore() {
        @Override
        public boolean record(String tag, long evictedAtMicros, long ttlMillis) {
            return true;
        }

        @Override
        public Map<String, Long> fetch(List<String> tags) {
            return Map.of();
        }
    };

    /**
     * Records an eviction, keeping the larger time when the tag has one already.
     * @param ttlMillis how long the record lives; {@code 0} or less: no expiry
     * @return whether Redis took it
     */
    boolean record(String tag, long evictedAtMicros, long ttlMillis);

    /**
     * Reads the eviction times of tags.
     * @return the times of the tags that have a record (others were never evicted, or so long ago that
     *         no entry written before can still exist), or {@code null} when Redis did not answer
     */
    @Nullable Map<String, Long> fetch(List<String> tags);

    /**
     * @param redis the manager's Redis tier
     * @param keyPrefix the key prefix
     * @return the store over Redis
     */
    static TagStore redis(RedisTier redis, String keyPrefix) {
        return new RedisTagStore(redis, keyPrefix);
    }

    /** The tag records in Redis: a max-merging script per eviction, {@code MGET} for lookups. */
    final class RedisTagStore implements TagStore {

        // Keeps the larger time; the TTL is renewed with each eviction.
        private static final RedisTier.LuaScript MERGE = RedisTier.LuaScript.of("""
                local raw = redis.call('GET', KEYS[1])
                local current = tonumber(raw)
                local value = ARGV[1]
                if current and current >= tonumber(value) then value = raw end
                if ARGV[2] == '0' then
                  redis.call('SET', KEYS[1], value)
                else
                  redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
                end
                return 1
                """);

        private final RedisTier redis;
        private final RedisBatches batches;
        private final String prefix;

        RedisTagStore(RedisTier redis, String keyPrefix) {
            this.redis = redis;
            this.batches = new RedisBatches(redis);
            this.prefix = recordPrefix(keyPrefix);
        }

        @Override
        public boolean record(String tag, long evictedAtMicros, long ttlMillis) {
            byte[] key = (prefix + tag).getBytes(StandardCharsets.UTF_8);
            return !redis.eval(MERGE, ScriptOutputType.INTEGER, new byte[][] {key},
                    Long.toString(evictedAtMicros).getBytes(StandardCharsets.US_ASCII),
                    Long.toString(Math.max(0, ttlMillis)).getBytes(StandardCharsets.US_ASCII)).failed();
        }

        @Override
        public @Nullable Map<String, Long> fetch(List<String> tags) {
            List<byte[]> keys = new ArrayList<>(tags.size());
            for (String tag : tags) {
                keys.add((prefix + tag).getBytes(StandardCharsets.UTF_8));
            }
            List<byte @Nullable []> values = batches.getAll(keys);
            if (values == null) {
                return null;
            }
            Map<String, Long> times = new HashMap<>();
            for (int i = 0; i < tags.size(); i++) {
                byte[] value = values.get(i);
                if (value != null) {
                    times.put(tags.get(i), parse(value));
                }
            }
            return times;
        }

        /** A record that is not a number was not written by this library: every entry of the tag is older. */
        private static long parse(byte[] value) {
            try {
                return Long.parseLong(new String(value, StandardCharsets.US_ASCII).trim());
            }
            catch (NumberFormatException ex) {
                return Long.MAX_VALUE;
            }
        }
    }

    /**
     * @param keyPrefix the key prefix
     * @return the start of every tag record's key: {@code <prefix>:%tag:}
     */
    static String recordPrefix(String keyPrefix) {
        return keyPrefix.isEmpty() ? "%tag:" : keyPrefix + ":%tag:";
    }
}
