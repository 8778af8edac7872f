package io.github.multitiercache.core.hotkey;

/**
 * A key found hot, with its estimated read rate in this instance.
 *
 * @param key the cache key
 * @param readsPerSecond the estimated reads per second over the sliding window
 */
public record HotKey(Object key, double readsPerSecond) {
}
