package io.github.multitiercache.core;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Tells the other instances that their L1 copy of a key, or of a whole cache, is out of date.
 * Called after a write has reached Redis; implementations must not block the caller for long and
 * must not throw.
 */
public interface InvalidationPublisher {

    /** A publisher for a single instance: tells no one. */
    InvalidationPublisher NONE = new InvalidationPublisher() {
        @Override
        public void keysChanged(String cacheName, String keyText) {
        }

        @Override
        public void cacheCleared(String cacheName) {
        }
    };

    /**
     * Makes a cache known to this publisher, so that invalidations received for it reach its L1.
     * Called once by each cache when it is created.
     * @param cache the cache
     */
    default void register(TieredCache cache) {
    }

    /**
     * A key was put or evicted.
     * @param cacheName the cache
     * @param keyText the key's stable text form
     */
    void keysChanged(String cacheName, String keyText);

    /**
     * Many keys of a cache were evicted at once. An implementation that batches its messages sends
     * them together; by default each key is announced as by {@link #keysChanged(String, String)}.
     * @param cacheName the cache
     * @param keyTexts the keys' stable text forms
     */
    default void keysChanged(String cacheName, Collection<String> keyTexts) {
        for (String keyText : keyTexts) {
            keysChanged(cacheName, keyText);
        }
    }

    /**
     * A cache was cleared.
     * @param cacheName the cache
     */
    void cacheCleared(String cacheName);

    /**
     * Tells the other instances which keys of a cache are hot here, so that they read those keys'
     * replicas too. Sent again while the keys stay hot; a receiver forgets a key after the lease.
     * @param cacheName the cache
     * @param keyTexts the hot keys' text forms
     * @param leaseMillis how long the receivers hold the keys hot unless told again
     */
    default void hotKeys(String cacheName, List<String> keyTexts, long leaseMillis) {
    }

    /**
     * Makes the tag clock of the caches known to this publisher, so that tag evictions received
     * reach it. Called once per manager.
     * @param clock the clock
     */
    default void register(TagClock clock) {
    }

    /**
     * Tags were evicted here: the other instances learn their eviction times.
     * @param times tag → eviction time, epoch microseconds
     */
    default void tagsEvicted(Map<String, Long> times) {
    }
}
