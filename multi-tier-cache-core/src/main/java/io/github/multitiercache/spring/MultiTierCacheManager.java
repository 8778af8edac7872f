package io.github.multitiercache.spring;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.TieredCacheContext;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.cache.CacheManager;

/**
 * The {@link CacheManager} of {@link MultiTierCache}s.
 *
 * <p>Caches named with {@link #setCacheNames(Collection)} exist from {@link #initializeCaches()}
 * on; other names are created on first use with the settings the resolver gives them, unless
 * {@link #setDynamic(boolean) dynamic creation} is off, in which case {@link #getCache(String)}
 * returns {@code null} for them, as the {@code CacheManager} contract asks.
 *
 * <p>When Redis answers again after its circuit breaker opened, every cache drops its L1 (it may
 * have missed invalidations meanwhile) and replays the deletes that could not reach Redis; see
 * {@link TieredCache}.
 */
public class MultiTierCacheManager implements CacheManager, SmartInitializingSingleton {

    private final TieredCacheContext context;
    private final Function<String, CacheSettings> settingsResolver;
    private final ConcurrentMap<String, MultiTierCache> caches = new ConcurrentHashMap<>();
    private final List<MultiTierCacheCustomizer> customizers = new CopyOnWriteArrayList<>();
    private final List<Consumer<MultiTierCache>> creationListeners = new CopyOnWriteArrayList<>();
    private volatile Set<String> cacheNames = Set.of();
    private volatile boolean dynamic = true;

    /**
     * Creates a manager.
     * @param context what the caches share
     * @param settingsResolver gives the settings of a cache by name
     */
    public MultiTierCacheManager(TieredCacheContext context, Function<String, CacheSettings> settingsResolver) {
        this.context = Objects.requireNonNull(context, "context");
        this.settingsResolver = Objects.requireNonNull(settingsResolver, "settingsResolver");
    }

    /**
     * Names the caches that exist from {@link #initializeCaches()} on.
     * @param names the cache names
     */
    public void setCacheNames(Collection<String> names) {
        this.cacheNames = Collections.unmodifiableSet(new LinkedHashSet<>(names));
    }

    /**
     * Sets whether caches not named up front are created on first use (the default).
     * @param dynamic {@code false} to refuse unknown names
     */
    public void setDynamic(boolean dynamic) {
        this.dynamic = dynamic;
    }

    /**
     * Adds a customizer applied to every cache created from now on.
     * @param customizer the customizer
     */
    public void addCustomizer(MultiTierCacheCustomizer customizer) {
        customizers.add(Objects.requireNonNull(customizer, "customizer"));
    }

    /**
     * Adds a listener told of every cache created from now on (for example to bind its meters).
     * @param listener the listener
     */
    public void addCacheCreationListener(Consumer<MultiTierCache> listener) {
        creationListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Creates every named cache now, so that invalid settings fail at startup.
     * @throws IllegalArgumentException naming the cache whose settings are invalid
     */
    public void initializeCaches() {
        for (String name : cacheNames) {
            getCache(name);
        }
    }

    /** Creates the named caches once every singleton, and so every annotated bean, exists. */
    @Override
    public void afterSingletonsInstantiated() {
        initializeCaches();
    }

    @Override
    public @Nullable MultiTierCache getCache(String name) {
        MultiTierCache cache = caches.get(name);
        if (cache != null) {
            return cache;
        }
        if (!dynamic && !cacheNames.contains(name)) {
            return null;
        }
        boolean[] created = new boolean[1];
        cache = caches.computeIfAbsent(name, key -> {
            created[0] = true;
            return create(key);
        });
        if (created[0]) {
            for (Consumer<MultiTierCache> listener : creationListeners) {
                listener.accept(cache);
            }
        }
        return cache;
    }

    @Override
    public Collection<String> getCacheNames() {
        Set<String> names = new LinkedHashSet<>(cacheNames);
        names.addAll(caches.keySet());
        return Collections.unmodifiableSet(names);
    }

    /**
     * The caches created so far.
     * @return the caches
     */
    public Collection<MultiTierCache> getCaches() {
        return List.copyOf(caches.values());
    }

    /**
     * What the caches share.
     * @return the context
     */
    public TieredCacheContext getContext() {
        return context;
    }

    /**
     * Evicts tags from every multi-tier cache of this manager, on every instance: once this returns, no
     * instance serves an entry carrying one of them that was written before the call (this instance
     * at once, the others within the invalidation bound). Tags are global to the key prefix, so
     * the caches of other managers with the same prefix and Redis are evicted too. One Redis command
     * per tag and one message, whatever the number of entries; safe to call from any thread at any
     * rate. Null and blank tags are ignored with a warning; a Redis failure is not thrown (the
     * eviction is owed to Redis and retried).
     * @param tags the tags
     */
    public void evictTags(Collection<String> tags) {
        context.tags().evict(tags);
    }

    /**
     * Evicts tags from some caches only, on every instance: once this returns, no instance serves an
     * entry of one of these caches carrying one of the tags that was written before the call; entries
     * of other caches carrying the tags are kept. As {@link #evictTags(Collection)} otherwise, with
     * one Redis command per (cache, tag). A name need not belong to a cache created yet (tags are
     * global to the key prefix: the caches of that name of other managers with the same prefix and
     * Redis are evicted too).
     * @param tags the tags
     * @param cacheNames the caches; none evicts from every cache, as {@link #evictTags(Collection)}
     */
    public void evictTags(Collection<String> tags, Collection<String> cacheNames) {
        context.tags().evict(tags, cacheNames);
    }

    /** Drops every cache's L1 in this instance only. */
    public void clearLocal() {
        caches.values().forEach(cache -> cache.getNativeCache().clearLocal());
    }

    private MultiTierCache create(String name) {
        CacheSettings settings;
        try {
            settings = settingsResolver.apply(name);
            for (MultiTierCacheCustomizer customizer : customizers) {
                settings = customizer.customize(name, settings);
            }
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("Invalid settings for cache '" + name + "': " + ex.getMessage(), ex);
        }
        return new MultiTierCache(new TieredCache(name, settings, context));
    }
}
