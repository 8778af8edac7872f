package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Where one cache's keys live in Redis, and the one place that turns a caller's key into its text
 * form and Redis key.
 *
 * <ul>
 * <li>a value: {@code <prefix>:<cache>:<key>}, the cache name with {@code %} and {@code :}
 * percent-encoded ({@link #segment(String)}), so that cache {@code a} with key {@code b:1} and cache
 * {@code a:b} with key {@code 1} never share a key;</li>
 * <li>its lock: {@code {<prefix>:<cache>:<key>}:lock} (see the stampede package);</li>
 * <li>a hot key's replica: {@code <prefix>:<cache>%hot{<tag>}:<key>}.</li>
 * </ul>
 * Each has a SCAN pattern, with the glob characters of the prefix escaped, for {@code clear}.
 */
final class KeySpace {

    private static final Log logger = LogFactory.getLog(KeySpace.class);

    private final String cacheName;
    private final CacheKeyConverter converter;
    private final AtomicBoolean warnedLocalKeys = new AtomicBoolean();
    private final byte[] valuePrefix;
    private final byte[] valuesPattern;
    private final byte[] locksPattern;
    private final String replicaNamespace;

    /**
     * @param cacheName the cache
     * @param keyPrefix the first segment of every Redis key; may be empty
     * @param converter turns keys into their stable text form
     */
    KeySpace(String cacheName, String keyPrefix, CacheKeyConverter converter) {
        this.cacheName = cacheName;
        this.converter = converter;
        String segment = segment(cacheName);
        String prefix = keyPrefix.isEmpty() ? segment + ":" : keyPrefix + ":" + segment + ":";
        this.valuePrefix = prefix.getBytes(StandardCharsets.UTF_8);
        this.valuesPattern = (escapeGlob(prefix) + "*").getBytes(StandardCharsets.UTF_8);
        // Lock keys of values without a hash tag: {prefix:cache:key}:lock (see LockKeys).
        this.locksPattern = ("{" + escapeGlob(prefix) + "*").getBytes(StandardCharsets.UTF_8);
        // The cache segment never holds a bare '%', so no value key starts with this.
        this.replicaNamespace = prefix.substring(0, prefix.length() - 1) + "%hot";
    }

    /**
     * Makes the key of one call.
     * @param key the caller's key
     * @return the key with its text and Redis key
     * @throws IllegalArgumentException (or another runtime exception of the converter) when the key
     *         has no stable text form
     */
    CacheKey keyOf(Object key) {
        String text = converter.convert(key);
        return new CacheKey(key, text, redisKey(text));
    }

    /**
     * Makes the key of one call, or, for a key without a stable text form, a key cached in this
     * instance's L1 only ({@link CacheKey#local(Object)}); the first such key logs one warning.
     * @param key the caller's key
     * @return the key
     */
    CacheKey keyOrLocal(Object key) {
        try {
            return keyOf(key);
        }
        catch (RuntimeException ex) {
            if (warnedLocalKeys.compareAndSet(false, true)) {
                logger.warn("Cache '" + cacheName + "': keys of type " + key.getClass().getName() + " have no"
                        + " stable text form, so they are cached in this instance's L1 only (not in Redis, and"
                        + " not invalidated by other instances): " + ex.getMessage() + ". Use keys with a"
                        + " stable form (strings, numbers, records of those) or a CacheKeyConverter bean.");
            }
            return CacheKey.local(key);
        }
    }

    /**
     * @param text a key's text form
     * @return its Redis key
     */
    byte[] redisKey(String text) {
        return concat(valuePrefix, text);
    }

    /** @return the SCAN pattern of every value key of the cache */
    byte[] valuesPattern() {
        return valuesPattern;
    }

    /** @return the SCAN pattern of every lock key of the cache's values */
    byte[] locksPattern() {
        return locksPattern;
    }

    /** @return the start of every replica key of the cache, {@code <prefix>:<cache>%hot} */
    String replicaNamespace() {
        return replicaNamespace;
    }

    /** @return the SCAN pattern of every replica key of the cache */
    byte[] replicasPattern() {
        return (escapeGlob(replicaNamespace) + "{*").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[] prefix, String text) {
        byte[] key = text.getBytes(StandardCharsets.UTF_8);
        byte[] full = new byte[prefix.length + key.length];
        System.arraycopy(prefix, 0, full, 0, prefix.length);
        System.arraycopy(key, 0, full, prefix.length, key.length);
        return full;
    }

    /**
     * The cache's segment of a Redis key: its name with {@code %} and {@code :} percent-encoded,
     * so that cache {@code a} with key {@code b:1} and cache {@code a:b} with key {@code 1} get
     * different keys, and clearing {@code users} cannot match the keys of {@code users:admins}.
     */
    static String segment(String cacheName) {
        return cacheName.replace("%", "%25").replace(":", "%3A");
    }

    /**
     * The channel on which the caches of one key prefix announce that a loaded value landed
     * (waiters on other instances wake up on it): {@code <prefix>:loaded}.
     */
    static String loadedChannel(String keyPrefix) {
        return keyPrefix.isEmpty() ? "loaded" : keyPrefix + ":loaded";
    }

    private static String escapeGlob(String text) {
        StringBuilder escaped = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }
}
