package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;

/**
 * One key of one cache, as every step of a call needs it: the caller's key object (the L1 key),
 * its stable text form (named in Redis keys and invalidation messages) and its Redis key. Made
 * once per call, on the first L1 miss, by {@link KeySpace#keyOf(Object)}; an L1 hit never makes one.
 *
 * <p>A key without a stable text form is {@linkplain #local() local}: it is cached in this instance's
 * L1 only, under a text no other key's text form can take, and has no Redis key.
 *
 * @param key the caller's key
 * @param text its stable text form
 * @param redisKey {@code <prefix>:<cache>:<text>} in UTF-8
 */
record CacheKey(Object key, String text, byte[] redisKey) {

    private static final byte[] NO_REDIS_KEY = new byte[0];

    /**
     * The key of a call whose key has no stable text form.
     * @param key the caller's key
     * @return a local key
     */
    static CacheKey local(Object key) {
        // A NUL never starts a converted key's text; equal keys get one text, so one L1 entry.
        return new CacheKey(key, "\u0000local:" + key.hashCode(), NO_REDIS_KEY);
    }

    /** @return whether the key lives in this instance's L1 only */
    boolean local() {
        return redisKey.length == 0;
    }

    /** @return the Redis key as text, for messages and introspection */
    String redisKeyText() {
        return new String(redisKey, StandardCharsets.UTF_8);
    }
}
