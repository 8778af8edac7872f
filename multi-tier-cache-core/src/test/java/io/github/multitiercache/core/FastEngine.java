package io.github.multitiercache.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.core.stampede.StampedeSettings;

/**
 * Builds engine caches for the fast tests: every "instance" shares one {@link InMemoryRedis} and one
 * {@link FakeTime}, runs its background work on the calling thread, and tells the other instances
 * about its writes and hot keys through an in-memory bus, so that a test of several instances runs in
 * milliseconds and decides every interleaving itself.
 */
final class FastEngine {

    final FakeTime time = new FakeTime();
    final InMemoryRedis redis = new InMemoryRedis(time);
    private final List<TieredCache> everyCache = new CopyOnWriteArrayList<>();

    /** Settings of a cache with the lease on, no jitter, and a two-second wait for another instance's load. */
    static CacheSettings.Builder leased() {
        return CacheSettings.defaults().toBuilder().ttlJitter(0)
                .stampede(new StampedeSettings(true, Duration.ofSeconds(10), Duration.ofSeconds(2),
                        StampedeSettings.OnTimeout.LOAD));
    }

    /** @return the fake wall-clock time, in epoch milliseconds */
    long now() {
        return time.millis();
    }

    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    /** While set, the messages of the in-memory bus are lost (each instance's L1 guard is not told). */
    volatile boolean losingMessages;

    /** A new instance's cache of this name. */
    TieredCache instance(String name, CacheSettings settings) {
        return node().cache(name, settings);
    }

    /** A new instance: its caches share one L1 guard and one {@link TagClock}, as those of one manager. */
    Node node() {
        Node node = new Node();
        nodes.add(node);
        return node;
    }

    /** One application instance. */
    final class Node {

        final L1Guard guard = new L1Guard(0);
        final TieredCacheContext context;

        private Node() {
            InvalidationPublisher bus = publisher(this);
            TagClock tags = new TagClock(redis, guard, time, time, time, Runnable::run, TagClock.DEFAULT_MAXIMUM_TAGS);
            this.context = new TieredCacheContext(null, JsonValueSerializer.forPackages("io.github.multitiercache."),
                    DefaultCacheKeyConverter.INSTANCE, "fast", TtlJitter.random(), bus, guard, time, time, Runnable::run,
                    time, tags);
        }

        TagClock tags() {
            return context.tags();
        }

        TieredCache cache(String name, CacheSettings settings) {
            return new TieredCache(name, settings, context, settings.l2Enabled() ? redis : null);
        }
    }

    private InvalidationPublisher publisher(Node self) {
        return new InvalidationPublisher() {

            private final List<TieredCache> mine = new CopyOnWriteArrayList<>();

            @Override
            public void register(TieredCache cache) {
                mine.add(cache);
                everyCache.add(cache);
            }

            @Override
            public void keysChanged(String cacheName, String keyText) {
                if (!losingMessages) {
                    others(cacheName).forEach(cache -> cache.invalidateLocal(keyText));
                }
            }

            @Override
            public void tagsEvicted(Map<String, Long> times) {
                if (!losingMessages) {
                    nodes.stream().filter(node -> node != self).forEach(node -> node.tags().evicted(times));
                }
            }

            @Override
            public void cacheCleared(String cacheName) {
                others(cacheName).forEach(TieredCache::clearLocal);
            }

            @Override
            public void hotKeys(String cacheName, List<String> keyTexts, long leaseMillis) {
                others(cacheName).forEach(cache -> cache.hotKeysAnnounced(keyTexts, leaseMillis));
            }

            private List<TieredCache> others(String cacheName) {
                return everyCache.stream().filter(cache -> cache.name().equals(cacheName) && !mine.contains(cache))
                        .toList();
            }
        };
    }
}
