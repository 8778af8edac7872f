package io.github.multitiercache.core.hotkey;

/**
 * A key hot in one instance, as shown by the endpoint.
 *
 * @param key the key's text form, as in its Redis key
 * @param readsPerSecond its estimated read rate in this instance over the sliding window (0 when
 *        it is hot only because another instance announced it)
 * @param local whether this instance found it hot
 * @param announced whether another instance announced it hot (and the announcement's lease runs)
 * @param replicated whether this instance reads it from its replicas in Redis
 */
public record HotKeyStatus(String key, double readsPerSecond, boolean local, boolean announced, boolean replicated) {
}
