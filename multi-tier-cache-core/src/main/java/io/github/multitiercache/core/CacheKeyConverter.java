package io.github.multitiercache.core;

/**
 * Turns a cache key into the stable text that names it in Redis ({@code prefix:cache:text}) and in
 * invalidation messages. The text must be the same in every instance and every release for equal
 * keys, and different for keys that are not equal.
 *
 * @see DefaultCacheKeyConverter
 */
@FunctionalInterface
public interface CacheKeyConverter {

    /**
     * Converts a key.
     * @param key a non-null cache key
     * @return its stable text form
     * @throws IllegalArgumentException when the key has no stable text form; the cache then logs a
     *         warning and bypasses itself for that call
     */
    String convert(Object key);
}
