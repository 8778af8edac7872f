package io.github.multitiercache.spring;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

import io.github.multitiercache.core.TieredCache;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache;

/**
 * Spring's {@link Cache} over a {@link TieredCache}: Caffeine (L1) over Redis (L2).
 *
 * <p>Behaves as Spring's cache contract says, with these additions: a Redis failure, a key without
 * a stable text form, or unreadable bytes in Redis never throw (they are logged and treated as
 * misses), and a {@code null} put into a cache that does not cache nulls evicts the key instead of
 * failing. {@link #retrieve(Object)} and {@link #retrieve(Object, Supplier)} do not block on Redis,
 * so {@code CompletableFuture}, {@code Mono} and {@code Flux} returning {@code @Cacheable} methods
 * work.
 *
 * <p><b>Tags of annotated methods.</b> The values of a {@code @MultiTierCacheable} method with
 * {@code tags} carry them, whatever the method returns. Each read or write of the method's caches
 * that Spring makes on the calling thread finds the method's {@link TagFrame} bound there:
 * {@link #get(Object, Callable)} and {@link #retrieve(Object, Supplier)} (loading through) hand
 * its tag function to the load, whose as-of time is when the loader started; {@link #put} tags the
 * value with it, as of the call's start. A {@code CompletableFuture}, {@code Mono} or {@code Flux}
 * method that does not load through the cache is put later, on the thread that completes it, where
 * no frame is bound: its miss in {@link #retrieve(Object)} records the frame as pending for the key
 * (see {@link PendingTags}), and the put takes the tags and the call's start from that record.
 * This was chosen over carrying the frame along the future (Spring builds that chain, not this
 * cache) and over wrapping the method's future in an inner advisor (Spring's put would still run
 * unbound when the future is already complete): a record costs a map entry per call that missed,
 * and a put of a key with no pending call one lookup of an empty map.
 */
public class MultiTierCache implements Cache {

    private final TieredCache engine;
    private final PendingTags pending;

    /**
     * Adapts an engine cache.
     * @param engine the engine cache
     */
    public MultiTierCache(TieredCache engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.pending = new PendingTags(System::nanoTime);
    }

    @Override
    public String getName() {
        return engine.name();
    }

    /**
     * The engine cache.
     * @return the {@link TieredCache}
     */
    @Override
    public TieredCache getNativeCache() {
        return engine;
    }

    @Override
    public @Nullable ValueWrapper get(Object key) {
        return engine.lookup(key);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> @Nullable T get(Object key, @Nullable Class<T> type) {
        ValueWrapper wrapper = engine.lookup(key);
        Object value = (wrapper != null) ? wrapper.get() : null;
        if (value != null && type != null && !type.isInstance(value)) {
            throw new IllegalStateException("Cached value is not of required type [" + type.getName() + "]: " + value);
        }
        return (T) value;
    }

    @Override
    public <T> @Nullable T get(Object key, Callable<T> valueLoader) {
        TagFrame frame = TagFrame.of(engine.name());
        return (frame == null) ? engine.get(key, valueLoader) : engine.get(key, valueLoader, frame::tagsOf);
    }

    /**
     * {@inheritDoc}
     * <p>Within a tagged {@code @MultiTierCacheable} call, a miss records the call as pending for the
     * key, so that the value Spring puts once the method's future completes carries its tags.
     */
    @Override
    public @Nullable CompletableFuture<?> retrieve(Object key) {
        TagFrame frame = TagFrame.of(engine.name());
        CompletableFuture<@Nullable ValueWrapper> result = engine.retrieve(key);
        if (frame != null) {
            if (result == null) {
                missed(key, frame);
            }
            else {
                // A stage of its own, ahead of those Spring adds: recorded before Spring calls the method.
                result = result.whenComplete((wrapper, error) -> {
                    if (wrapper == null) {
                        missed(key, frame);
                    }
                });
            }
        }
        if (result == null || engine.settings().cacheNullValues()) {
            return result;
        }
        return result.thenApply(wrapper -> (wrapper != null) ? wrapper.get() : null);
    }

    /** Records the frame's call as pending for the key here and in its other caches, which Spring puts into too. */
    private void missed(Object key, TagFrame frame) {
        pending.register(key, frame);
        for (MultiTierCache sibling : frame.siblingsOf(this)) {
            sibling.pending.register(key, frame);
        }
    }

    /**
     * {@inheritDoc}
     * <p>Within a tagged {@code @MultiTierCacheable} call (loading through the cache), the loaded value
     * carries the call's tags, as of when the loader started.
     */
    @Override
    public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> valueLoader) {
        TagFrame frame = TagFrame.of(engine.name());
        return (frame == null) ? engine.retrieve(key, valueLoader) : engine.retrieve(key, valueLoader, frame::tagsOf);
    }

    /**
     * Returns the values of many keys at once, loading those missing with one call of
     * {@code loader}: L1 for every key, then one {@code MGET} per Redis node for the keys L1 missed,
     * then {@code loader} with exactly the keys still missing (keys another instance is loading are
     * waited for, not loaded again), then one write per node of what it returned, each key with its
     * own TTL. Each key is its own entry, the one {@link #get(Object, Callable)} reads, and is
     * counted as a single read.
     * <pre>{@code
     * Map<Long, Product> products = cache.getAll(ids, missing -> repository.findAllById(missing));
     * }</pre>
     * @param keys the keys; duplicates count once
     * @param loader given an unmodifiable set of exactly the keys still missing, in the order of
     *        {@code keys}, returns their values; a key it leaves out is a {@code null}, cached as
     *        one where the cache caches nulls
     * @param <K> the key type
     * @param <V> the value type
     * @return the non-null values, iterating in the order of {@code keys}
     * @throws ValueRetrievalException when the loader throws (and fail-safe has no expired value
     *         for each key it was to load)
     */
    public <K, V> Map<K, V> getAll(Collection<K> keys, Function<Set<K>, Map<K, V>> loader) {
        return engine.getAll(keys, loader);
    }

    /**
     * Returns the cached values of many keys, from L1, then Redis with one {@code MGET} per node;
     * loads nothing.
     * @param keys the keys
     * @param <K> the key type
     * @return the non-null cached values, iterating in the order of {@code keys}; a key that is
     *         not cached, or cached as {@code null}, is absent
     */
    public <K> Map<K, Object> getAll(Collection<K> keys) {
        return engine.getAll(keys);
    }

    /**
     * {@inheritDoc}
     * <p>Within a tagged {@code @MultiTierCacheable} call, or while such a call of the key is pending
     * (see {@link #retrieve(Object)}), the value carries the call's tags as of the call's start.
     */
    @Override
    public void put(Object key, @Nullable Object value) {
        PendingTags.PutTags tags = pending.of(key, TagFrame.of(engine.name()));
        if (tags == null) {
            engine.put(key, value);
        }
        else {
            engine.putLoaded(key, value, tags::tagsOf, tags.asOfMicros());
        }
    }

    /**
     * Stores a value carrying tags: it is served until one of them is evicted
     * ({@link MultiTierCacheManager#evictTags(Collection)}).
     * @param key the key
     * @param value the value
     * @param tags its tags
     */
    public void put(Object key, @Nullable Object value, Set<String> tags) {
        engine.put(key, value, tags);
    }

    /**
     * Returns the cached value, or loads it with {@code loader} and caches it carrying the tags
     * {@code tagsOfValue} gives it.
     * @param key the key
     * @param loader computes the value on a miss
     * @param tagsOfValue the tags of a loaded value
     * @param <V> the value type
     * @return the value
     */
    public <V> @Nullable V get(Object key, Callable<V> loader, Function<V, Set<String>> tagsOfValue) {
        return engine.get(key, loader, tagsOfValue);
    }

    @Override
    public @Nullable ValueWrapper putIfAbsent(Object key, @Nullable Object value) {
        return engine.putIfAbsent(key, value);
    }

    @Override
    public void evict(Object key) {
        engine.evict(key);
    }

    @Override
    public boolean evictIfPresent(Object key) {
        return engine.evict(key);
    }

    /**
     * Evicts many keys at once: each as {@link #evict(Object)} does (L1 here, the Redis entry, its
     * lock and a hot key's replicas, every other instance's L1; a delete Redis does not take is
     * retried until it does), with the Redis deletes sent together, one round trip per Redis node,
     * and the other instances told in one message. Each key counts as one eviction.
     * <pre>{@code
     * cache.evictAll(List.of(17L, 18L, 19L));
     * }</pre>
     * @param keys the keys; duplicates count once, a {@code null} key is skipped
     */
    public void evictAll(Collection<?> keys) {
        engine.evictAll(keys);
    }

    @Override
    public void clear() {
        engine.clear();
    }

    @Override
    public boolean invalidate() {
        return engine.clear();
    }

    @Override
    public String toString() {
        return "MultiTierCache[" + engine.name() + "]";
    }
}
