package io.github.multitiercache.core;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Supplier;

import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.core.codec.EntryTags;
import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.Leases;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.Cache.ValueWrapper;

/**
 * One cache with two tiers: the read path L1 → Redis → loader and the write paths, with TTL
 * jitter, null caching, stampede protection, refresh-ahead, fail-safe, hot keys, and protection of
 * callers from Redis trouble and bad data.
 *
 * <p>This class is a facade: it sequences each call over collaborators that each do one thing and
 * never call back into it (see {@code docs/architecture.md}):
 * <ul>
 * <li>{@link KeySpace} makes the call's {@link CacheKey} (text form, Redis key) once, on the first
 * L1 miss;</li>
 * <li>{@link NearTier} (L1) and {@link SharedTier} (Redis, with a hot key's replicas), each with a
 * do-nothing twin when the tier is off;</li>
 * <li>{@link FillGuard} decides whether a value read or loaded may still enter L1;
 * {@link ExpiryPolicy} computes every TTL;</li>
 * <li>{@link Store} is the one sequence by which a value enters the tiers;</li>
 * <li>{@link Loader} (single flight and the fleet-wide lease) with {@link FailSafe} and
 * {@link RefreshAhead} beside it;</li>
 * <li>{@link HotKeys} finds, pins, replicates and announces hot keys;</li>
 * <li>{@link RedisRecovery} pays what Redis is owed and drops L1 after an outage.</li>
 * </ul>
 *
 * <p><b>Read.</b> An L1 hit returns at once. An L1 miss reads Redis; a Redis hit fills L1 for no
 * longer than the Redis entry has left. A miss in both runs the loader once per key in this JVM
 * and, with {@code stampede.enabled}, once per key across the instances, then writes Redis and L1.
 * Filling L1 never tells other instances anything.
 *
 * <p><b>Write.</b> {@code put} writes Redis then L1, {@code evict} deletes from both, {@code clear}
 * removes the cache's keys from Redis with SCAN and UNLINK; each then tells the other instances
 * through the {@link InvalidationPublisher}.
 *
 * <p><b>Trouble.</b> No method throws because Redis failed, a key has no stable text form, or the
 * bytes in Redis cannot be decoded: these are logged and handled as misses. A delete that could not
 * reach Redis is retried until Redis accepts it, so that no instance keeps reading the value the
 * write replaced.
 */
public final class TieredCache {

    private static final Log logger = LogFactory.getLog(TieredCache.class);

    private final String name;
    private final CacheSettings settings;
    private final CacheStatistics statistics = new CacheStatistics();
    private final StampedeStatistics stampedeStatistics = new StampedeStatistics();
    private final LogThrottle warnings = new LogThrottle(logger);
    private final InvalidationPublisher publisher;
    private final TierReads reads;
    private final KeySpace keys;
    private final FillGuard fills;
    private final ExpiryPolicy expiry;
    private final SafeCodec codec;
    private final HotKeys hotKeys;
    private final NearTier near;
    private final SharedTier shared;
    private final RedisRecovery recovery;
    private final Store store;
    private final Loader loader;
    private final AsyncLoader asyncLoader;
    private final RefreshAhead refreshAhead;
    private final CacheInsight insight;
    private final BulkLoader bulk;
    private final TagClock tags;

    /**
     * Creates the cache.
     * @param name the cache name, non-empty
     * @param settings its settings
     * @param context what it shares with the other caches of its manager
     * @throws IllegalArgumentException when L2 is enabled but the context has no Redis tier
     */
    public TieredCache(String name, CacheSettings settings, TieredCacheContext context) {
        this(name, settings, context, backendOf(name, settings, context));
    }

    /**
     * Creates the cache over a given shared backend: Redis, or the in-memory twin of the engine's tests.
     * @param backend where L2 lives, {@code null} when L2 is off
     */
    TieredCache(String name, CacheSettings settings, TieredCacheContext context, @Nullable SharedBackend backend) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("cache name must not be empty");
        }
        this.name = name;
        this.settings = Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(context, "context");
        this.publisher = context.publisher();
        CacheKeyConverter keyConverter = context.keyConverter();
        this.keys = new KeySpace(name, context.keyPrefix(), keyConverter);
        this.fills = new FillGuard(context.l1Guard());
        this.expiry = new ExpiryPolicy(settings, context.jitter(), context.clock());
        this.tags = context.tags();
        this.codec = new SafeCodec(name, new EntryCodec(context.serializer(), settings.compressionThreshold(),
                settings.maxValueSize()), statistics, warnings, tags);
        HotKeySettings hot = settings.hotKeys();
        HotKeyReplicas replicas = new HotKeyReplicas(name, hot.replicas(),
                (hot.enabled() && backend != null) ? backend.replicaStore() : null, keys.replicaNamespace());
        this.hotKeys = new HotKeys(name, hot, keyConverter, fills, replicas, keys, codec, expiry, publisher,
                context.executor(), warnings, context.ticker()::read);
        // Pinning matters where L1 would not keep the key as long, or at all; without Redis the
        // loader is the only other source, and the cache's own L1 already keeps what it can.
        boolean pins = hot.pins() && backend != null;
        if (settings.l1Enabled()) {
            this.near = NearTier.of(new L1Tier(settings.l1MaximumSize(), context.ticker(), context.executor()), true,
                    pins, fills, expiry, hotKeys, tags, name, statistics);
        }
        else {
            this.near = pins ? NearTier.of(new L1Tier(4L * hot.maxHotKeys(), context.ticker(), context.executor()),
                    false, true, fills, expiry, hotKeys, tags, name, statistics) : NearTier.OFF;
        }
        if (backend != null) {
            tags.coversEntriesOf(longestLifeInRedis(settings));
        }
        boolean coordinated = settings.stampede().enabled() || settings.refresh().mode() != RefreshSettings.Mode.NONE;
        Leases coordinator = (backend != null && coordinated)
                ? backend.leases(KeySpace.loadedChannel(context.keyPrefix()), stampedeStatistics) : null;
        this.shared = (backend != null)
                ? backend.tier(keys, codec, hotKeys, statistics, context.executor(), coordinator) : SharedTier.OFF;
        this.recovery = new RedisRecovery(name, shared, near, fills, hotKeys, publisher, context.delays());
        this.reads = new TierReads(near, shared, hotKeys, expiry, statistics, settings.l1Enabled());
        this.store = new Store(name, settings.cacheNullValues(), expiry, fills, near, shared, hotKeys, recovery,
                publisher, tags);
        FailSafe failSafe = new FailSafe(name, expiry, near, stampedeStatistics);
        LeaseOutcomes outcomes = new LeaseOutcomes(name, settings, failSafe, stampedeStatistics, warnings);
        LoadParts parts = new LoadParts(name, settings, keys, expiry, fills, near, shared, reads, codec, hotKeys, store,
                failSafe, outcomes, new SingleFlight(), context.executor(), context.delays(), statistics,
                stampedeStatistics, warnings, context.ticker()::read);
        this.loader = new Loader(parts);
        this.asyncLoader = new AsyncLoader(parts);
        this.bulk = new BulkLoader(parts);
        this.refreshAhead = new RefreshAhead(settings.refresh(), coordinator != null, loader, asyncLoader, expiry,
                context.executor());
        this.insight = new CacheInsight(near, hotKeys, keys, keyConverter);
        publisher.register(this);
    }

    /** The longest an entry of these settings lives in Redis: the jittered TTL, plus fail-safe's stale period. */
    private static long longestLifeInRedis(CacheSettings settings) {
        long ttl = Math.max(settings.l2Ttl().toMillis(), settings.nullTtl().toMillis());
        long jittered = (long) Math.ceil(ttl * (1 + Math.max(0, settings.ttlJitter())));
        long stale = settings.failSafe().enabled() ? settings.failSafe().maxStale().toMillis() : 0;
        long life = jittered + stale;
        return (life < 0) ? Long.MAX_VALUE : life;
    }

    private static @Nullable SharedBackend backendOf(String name, CacheSettings settings, TieredCacheContext context) {
        if (!settings.l2Enabled()) {
            return null;
        }
        RedisTier redis = context.redis();
        if (redis == null) {
            throw new IllegalArgumentException("Cache '" + name + "' has l2-enabled=true but no Redis is configured");
        }
        return SharedBackend.redis(redis);
    }

    // ---- reads -------------------------------------------------------------------------------

    /**
     * Looks a key up in L1, then Redis.
     * @param key the key
     * @return the cached value (its {@code get()} is {@code null} for a cached null), or
     *         {@code null} on a miss
     */
    public @Nullable ValueWrapper lookup(@Nullable Object key) {
        if (key == null) {
            bypass("a null key");
            return null;
        }
        L1Entry local = reads.probe(key);
        if (local != null) {
            return local;
        }
        CacheKey cacheKey = keys.keyOrLocal(key);
        if (cacheKey.local()) {
            statistics.misses.increment();
            return null;
        }
        long ticket = fills.ticket(cacheKey.text());
        return reads.served(cacheKey, shared.read(cacheKey, ticket), ticket);
    }

    /**
     * Serves a key from L1 alone: the first step of {@link #lookup(Object)}, for callers that fall
     * back to {@code lookup} or {@link #get(Object, Callable)} when it misses. A hit is counted, and
     * the read recorded for hot-key detection, as {@code lookup} does; a miss counts nothing, so
     * that the fallback counts it once.
     * @param key the key
     * @return the L1 entry (its {@code get()} is {@code null} for a cached null), or {@code null}
     *         when L1 cannot serve the key
     */
    public @Nullable ValueWrapper l1Hit(Object key) {
        L1Entry entry = near.servable(key);
        if (entry == null) {
            return null;
        }
        hotKeys.recordRead(key);
        statistics.l1Hits.increment();
        return entry;
    }

    /**
     * Returns the cached value, or loads, caches and returns it. Concurrent callers for the same
     * key in this JVM share one loader call, and with {@code stampede.enabled} so do those of
     * every instance (see {@link LoadCoordinator}). A value read from Redis may start a background
     * refresh (refresh-ahead); an expired value may be served when the loader fails (fail-safe).
     * @param key the key
     * @param valueLoader computes the value on a miss
     * @param <T> the value type
     * @return the value
     * @throws ValueRetrievalException when the loader throws and no stale value may be served, or
     *         a wait timed out ({@code stampede.on-timeout = FAIL}, {@code fail-safe.hard-timeout})
     */
    @SuppressWarnings("unchecked")
    public <T> @Nullable T get(@Nullable Object key, Callable<T> valueLoader) {
        if (key == null) {
            bypass("a null key");
            return callLoader(null, valueLoader);
        }
        L1Entry local = reads.probe(key);
        if (local != null) {
            return (T) local.get();
        }
        CacheKey cacheKey = keys.keyOrLocal(key);
        if (cacheKey.local()) {
            statistics.misses.increment();
            return loader.loadLocal(cacheKey, valueLoader);
        }
        long ticket = fills.ticket(cacheKey.text());
        StoredEntry entry = shared.read(cacheKey, ticket);
        ValueWrapper hit = reads.served(cacheKey, entry, ticket);
        if (hit != null) {
            refreshAhead.refreshIfDue(cacheKey, Objects.requireNonNull(entry), valueLoader);
            return (T) hit.get();
        }
        // An expired entry that fail-safe may still serve when the load fails.
        return loader.loadMissing(cacheKey, valueLoader, entry);
    }

    /**
     * As {@link #get(Object, Callable)}, a loaded value carrying the tags {@code tagsOfValue} gives
     * it: it is served only until one of them is evicted ({@link TagClock#evict}). Its as-of time is
     * when the load started, so that a load that read its source before an eviction and stored
     * after it is not served. Null and blank tags are ignored with a warning.
     * @param key the key
     * @param valueLoader computes the value on a miss
     * @param tagsOfValue the tags of a loaded value (given {@code null} for a null); may return
     *        {@code null} or an empty set for none
     * @param <T> the value type
     * @return the value
     */
    @SuppressWarnings("unchecked")
    public <T> @Nullable T get(@Nullable Object key, Callable<T> valueLoader,
            Function<? super @Nullable T, ? extends @Nullable Collection<String>> tagsOfValue) {
        Objects.requireNonNull(tagsOfValue, "tagsOfValue");
        Callable<Object> tagged = () -> {
            long asOf = tags.asOf();
            return withTags(valueLoader.call(), tagsOfValue, asOf);
        };
        return (T) Tagged.unwrap(get(key, tagged));
    }

    /** A loaded value with the tags {@code tagsOfValue} gives it; a function that throws makes it unservable (logged). */
    private <T> Tagged withTags(@Nullable T value,
            Function<? super @Nullable T, ? extends @Nullable Collection<String>> tagsOfValue, long asOf) {
        Collection<String> given;
        try {
            given = tagsOfValue.apply(value);
        }
        catch (RuntimeException ex) {
            warnings.warn("Cache '" + name + "': the tags of a loaded value could not be computed; it is not"
                    + " served from the cache: " + ex);
            return new Tagged(value, EntryTags.unservable());
        }
        return new Tagged(value, tags.entryTags(given, asOf));
    }

    /**
     * Looks a key up without blocking the caller.
     * @param key the key
     * @return {@code null} when the cache knows at once that the key is absent; otherwise a future
     *         of the cached value wrapper, completing with {@code null} on a late-found miss
     */
    public @Nullable CompletableFuture<@Nullable ValueWrapper> retrieve(Object key) {
        L1Entry local = reads.probe(key);
        if (local != null) {
            return CompletableFuture.completedFuture(local);
        }
        CacheKey cacheKey = keys.keyOrLocal(key);
        if (cacheKey.local()) {
            statistics.misses.increment();
            return null;
        }
        long ticket = fills.ticket(cacheKey.text());
        return shared.readAsync(cacheKey, ticket).thenApply(entry -> reads.served(cacheKey, entry, ticket));
    }

    /**
     * Returns the cached value, or starts the loader, caches its result and returns it, without
     * blocking the caller. Concurrent callers for the same key in this JVM share one loader call.
     * @param key the key
     * @param valueLoader starts computing the value on a miss
     * @param <T> the value type
     * @return a future of the value
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> valueLoader) {
        L1Entry local = reads.probe(key);
        if (local != null) {
            return CompletableFuture.completedFuture((T) local.get());
        }
        CacheKey cacheKey = keys.keyOrLocal(key);
        if (cacheKey.local()) {
            statistics.misses.increment();
            return asyncLoader.loadLocal(cacheKey, valueLoader);
        }
        long ticket = fills.ticket(cacheKey.text());
        return shared.readAsync(cacheKey, ticket).thenCompose(entry -> {
            ValueWrapper hit = reads.served(cacheKey, entry, ticket);
            if (hit != null) {
                refreshAhead.refreshIfDueAsync(cacheKey, Objects.requireNonNull(entry), valueLoader);
                return CompletableFuture.completedFuture((T) hit.get());
            }
            // An expired entry that fail-safe may still serve when the load fails.
            return asyncLoader.loadMissing(cacheKey, valueLoader, entry);
        });
    }

    /**
     * As {@link #retrieve(Object, Supplier)}, a loaded value carrying the tags {@code tagsOfValue}
     * gives it (see {@link #get(Object, Callable, Function)}): served only until one of them is
     * evicted. Its as-of time is when the loader was started, so that a value whose future completed
     * after an eviction, but whose computation began before it, is not served. A refresh-ahead reload
     * started by this call is tagged the same way.
     * @param key the key
     * @param valueLoader starts computing the value on a miss
     * @param tagsOfValue the tags of a loaded value (given {@code null} for a null); may return
     *        {@code null} or an empty set for none; one that throws keeps the value out of the cache
     * @param <T> the value type
     * @return a future of the value
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> valueLoader,
            Function<? super @Nullable T, ? extends @Nullable Collection<String>> tagsOfValue) {
        Objects.requireNonNull(tagsOfValue, "tagsOfValue");
        Supplier<CompletableFuture<Object>> tagged = () -> {
            long asOf = tags.asOf();
            CompletableFuture<T> loading = Objects.requireNonNull(valueLoader.get(), "the loader returned no future");
            return loading.thenApply(value -> withTags(value, tagsOfValue, asOf));
        };
        return retrieve(key, tagged).thenApply(value -> (T) Tagged.unwrap(value));
    }

    /**
     * Returns the values of many keys, loading those missing from both tiers with one call of
     * {@code loader}: see {@link BulkLoader}. Each key is read, counted and cached as by
     * {@link #get(Object, Callable)}, under the same entry.
     * @param keys the keys; the result follows their order, duplicates once
     * @param loader given exactly the keys still missing, returns their values; a key it leaves out
     *        is a {@code null} (cached as one where the cache caches nulls)
     * @param <K> the key type
     * @param <V> the value type
     * @return the non-null values, in the order of {@code keys}
     * @throws ValueRetrievalException when the loader throws and fail-safe has no value to serve
     */
    public <K, V> Map<K, V> getAll(Collection<? extends K> keys,
            Function<? super Set<K>, ? extends @Nullable Map<? extends K, ? extends V>> loader) {
        return bulk.getAll(keys, Objects.requireNonNull(loader, "loader"), null);
    }

    /**
     * As {@link #getAll(Collection, Function)}, caching only the loaded values {@code keeps} accepts
     * (as {@code unless} does): the others are returned, and stored nowhere.
     * @param keeps given a key and its loaded value ({@code null} when the loader left it out)
     */
    public <K, V> Map<K, V> getAll(Collection<? extends K> keys,
            Function<? super Set<K>, ? extends @Nullable Map<? extends K, ? extends V>> loader,
            BiPredicate<? super K, ? super V> keeps) {
        return bulk.getAll(keys, Objects.requireNonNull(loader, "loader"), keeps);
    }

    /**
     * Returns the cached values of many keys, from L1 and then Redis at once, loading nothing.
     * @param keys the keys
     * @param <K> the key type
     * @return the non-null cached values, in the order of {@code keys}
     */
    public <K> Map<K, Object> getAll(Collection<? extends K> keys) {
        return bulk.getAll(keys, null, null);
    }

    /**
     * As {@link #getAll(Collection, Function, BiPredicate)}, each loaded value carrying the tags
     * {@code tagsOfValue} gives it (see {@link #get(Object, Callable, Function)}); the as-of time of
     * every value is when the loader was called.
     * @param keeps as {@code unless}; {@code null} to cache every value
     * @param tagsOfValue the tags of a key's loaded value; may return {@code null} or an empty set
     */
    public <K, V> Map<K, V> getAll(Collection<? extends K> keys,
            Function<? super Set<K>, ? extends @Nullable Map<? extends K, ? extends V>> loader,
            @Nullable BiPredicate<? super K, ? super V> keeps,
            BiFunction<? super K, ? super V, ? extends @Nullable Collection<String>> tagsOfValue) {
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(tagsOfValue, "tagsOfValue");
        Function<Set<K>, Map<K, Object>> tagged = missing -> {
            long asOf = tags.asOf();
            Map<? extends K, ? extends V> loaded = loader.apply(missing);
            Map<K, Object> withTags = new LinkedHashMap<>();
            if (loaded != null) {
                loaded.forEach((k, v) -> {
                    Collection<String> given;
                    try {
                        given = tagsOfValue.apply(k, v);
                    }
                    catch (RuntimeException ex) {
                        warnings.warn("Cache '" + name + "': the tags of a loaded value could not be computed; it"
                                + " is not served from the cache: " + ex);
                        withTags.put(k, new Tagged(v, EntryTags.unservable()));
                        return;
                    }
                    withTags.put(k, new Tagged(v, tags.entryTags(given, asOf)));
                });
            }
            return withTags;
        };
        @SuppressWarnings("unchecked")
        BiPredicate<? super K, Object> plainKeeps = (keeps == null) ? null
                : (k, v) -> ((BiPredicate<? super K, Object>) keeps).test(k, Tagged.unwrap(v));
        Map<K, Object> found = (plainKeeps == null) ? bulk.getAll(keys, tagged, null)
                : bulk.getAll(keys, tagged, plainKeeps);
        Map<K, V> result = new LinkedHashMap<>();
        found.forEach((k, v) -> {
            @SuppressWarnings("unchecked")
            V value = (V) Tagged.unwrap(v);
            if (value != null) {
                result.put(k, value);
            }
        });
        return result;
    }

    // ---- writes ------------------------------------------------------------------------------

    /**
     * Stores a value in both tiers and tells the other instances. A {@code null} value in a cache
     * that does not cache nulls evicts the key instead.
     * @param key the key
     * @param value the value
     */
    public void put(@Nullable Object key, @Nullable Object value) {
        if (key == null) {
            bypass("a null key");
            return;
        }
        CacheKey cacheKey = keys.keyOrLocal(key);
        statistics.puts.increment();
        if (!store.keeps(value)) {
            evict(cacheKey);
            return;
        }
        store.put(cacheKey, value);
    }

    /**
     * Stores a value carrying tags in both tiers and tells the other instances: it is served until
     * one of its tags is evicted ({@link TagClock#evict}) after this call. Null and blank tags are
     * ignored with a warning.
     * @param key the key
     * @param value the value
     * @param valueTags its tags; none is a plain {@link #put(Object, Object)}
     */
    public void put(@Nullable Object key, @Nullable Object value, @Nullable Collection<String> valueTags) {
        if (valueTags == null || valueTags.isEmpty()) {
            put(key, value);
            return;
        }
        put(key, new Tagged(Tagged.unwrap(value), tags.entryTags(valueTags, tags.asOf())));
    }

    /**
     * Stores a value computed from {@code asOfMicros} on (a method's result that Spring's cache
     * interceptor puts), carrying the tags {@code tagsOfValue} gives it: served only if none of them
     * was evicted after {@code asOfMicros}. A tag function that throws keeps the value out of the
     * cache (logged).
     * @param key the key
     * @param value the value
     * @param tagsOfValue its tags
     * @param asOfMicros when its computation started, from {@link TagClock#asOf()}
     */
    public void putLoaded(@Nullable Object key, @Nullable Object value,
            Function<? super @Nullable Object, ? extends @Nullable Collection<String>> tagsOfValue, long asOfMicros) {
        Object plain = Tagged.unwrap(value);
        EntryTags entryTags;
        try {
            entryTags = tags.entryTags(tagsOfValue.apply(Store.unwrapNull(plain)), asOfMicros);
        }
        catch (RuntimeException ex) {
            warnings.warn("Cache '" + name + "': the tags of a value could not be computed; it is not served from"
                    + " the cache: " + ex);
            entryTags = EntryTags.unservable();
        }
        put(key, (entryTags == null) ? plain : new Tagged(plain, entryTags));
    }

    /**
     * Stores a value unless the key is present in either tier.
     * @param key the key
     * @param value the value
     * @return the present value, or {@code null} when this value was stored
     */
    public @Nullable ValueWrapper putIfAbsent(@Nullable Object key, @Nullable Object value) {
        if (key == null) {
            bypass("a null key");
            return null;
        }
        L1Entry local = reads.probe(key);
        if (local != null) {
            return local;
        }
        CacheKey cacheKey = keys.keyOrLocal(key);
        if (cacheKey.local()) {
            if (store.keeps(value)) {
                statistics.puts.increment();
                store.put(cacheKey, value);
            }
            return null;
        }
        long readTicket = fills.ticket(cacheKey.text());
        ValueWrapper existing = reads.served(cacheKey, shared.read(cacheKey, readTicket), readTicket);
        if (existing != null || !store.keeps(value)) {
            return existing;
        }
        statistics.puts.increment();
        byte[] present = store.putIfAbsent(cacheKey, value);
        if (present == null) {
            return null;
        }
        long ticket = fills.ticket(cacheKey.text());
        return reads.served(cacheKey, codec.decodeNullable(cacheKey.text(), present), ticket);
    }

    /**
     * Removes a key from both tiers and tells the other instances.
     * @param key the key
     * @return whether the key was present in either tier, as far as known
     */
    public boolean evict(@Nullable Object key) {
        if (key == null) {
            bypass("a null key");
            return false;
        }
        return evict(keys.keyOrLocal(key));
    }

    private boolean evict(CacheKey key) {
        boolean present = evictHere(key);
        if (key.local()) {
            return present;
        }
        present |= recovery.delete(key) > 0;
        publisher.keysChanged(name, key.text());
        return present;
    }

    /** What an eviction does in this instance: counted, a load under way kept out of L1, the L1 copy dropped. */
    private boolean evictHere(CacheKey key) {
        statistics.evictions.increment();
        fills.bump(key.text());
        return near.invalidate(key);
    }

    /**
     * Removes many keys from both tiers and tells the other instances: for each key what
     * {@link #evict(Object)} does, with the Redis deletes sent together ({@code UNLINK}, one per slot,
     * pipelined: one round trip per node) and the other instances told together. A delete Redis did
     * not take is owed and retried for each key, as for a single evict.
     * @param keys the keys; duplicates count once, a {@code null} key is skipped (and logged)
     */
    public void evictAll(Collection<?> keys) {
        Map<String, CacheKey> inRedis = new LinkedHashMap<>();
        for (Object key : keys) {
            if (key == null) {
                bypass("a null key");
                continue;
            }
            CacheKey cacheKey = this.keys.keyOrLocal(key);
            if (inRedis.containsKey(cacheKey.text())) {
                continue;
            }
            evictHere(cacheKey);
            if (!cacheKey.local()) {
                inRedis.put(cacheKey.text(), cacheKey);
            }
        }
        if (inRedis.isEmpty()) {
            return;
        }
        recovery.deleteAll(List.copyOf(inRedis.values()));
        publisher.keysChanged(name, List.copyOf(inRedis.keySet()));
    }

    /**
     * Removes every key of this cache from Redis (SCAN and UNLINK, on every master) and L1, and
     * tells the other instances.
     * @return whether anything was known to be present
     */
    public boolean clear() {
        statistics.clears.increment();
        fills.bumpAll();
        boolean present = recovery.clear() > 0;
        present |= near.clear();
        publisher.cacheCleared(name);
        return present;
    }

    // ---- local operations, driven by other instances -----------------------------------------

    /**
     * Drops one key from this instance's L1 only, as told by another instance.
     * @param keyText the key's text form
     * @return whether it was present
     */
    public boolean invalidateLocal(String keyText) {
        fills.bump(keyText);
        // Its writer may not have known the key was hot here, and left the replicas as they were.
        hotKeys.deletedAsync(keyText);
        return near.invalidate(keyText);
    }

    /**
     * Takes the hot keys another instance announced for this cache: they are read from their
     * replicas here too, until the lease runs out unless announced again.
     * @param keyTexts the keys' text forms
     * @param leaseMillis how long they stay hot here
     */
    public void hotKeysAnnounced(Collection<String> keyTexts, long leaseMillis) {
        hotKeys.announced(keyTexts, leaseMillis);
    }

    /** Drops this instance's whole L1 only. */
    public void clearLocal() {
        fills.bumpAll();
        near.clear();
    }

    /** Redis answers again after an outage: see {@link RedisRecovery#redisRecovered()}. */
    void redisRecovered() {
        recovery.redisRecovered();
    }

    // ---- introspection -----------------------------------------------------------------------

    /**
     * What this instance knows of tag evictions, shared with every cache of the manager.
     * @return the clock
     */
    public TagClock tags() {
        return tags;
    }

    /** @return the cache name */
    public String name() {
        return name;
    }

    /** @return the settings this cache was built with */
    public CacheSettings settings() {
        return settings;
    }

    /** @return the running counts of this cache */
    public CacheStatistics statistics() {
        return statistics;
    }

    /**
     * The running counts of stampede protection, refresh-ahead and fail-safe.
     * @return the counts
     */
    public StampedeStatistics stampedeStatistics() {
        return stampedeStatistics;
    }

    /**
     * What this cache shows of where its values live: its L1 tier, hot keys, replicas, Redis keys.
     * @return the view, the same object on every call
     */
    public CacheInsight insight() {
        return insight;
    }

    // ---- internals ---------------------------------------------------------------------------

    private <T> @Nullable T callLoader(@Nullable Object key, Callable<T> valueLoader) {
        try {
            return valueLoader.call();
        }
        catch (Exception ex) {
            statistics.loadFailures.increment();
            throw new ValueRetrievalException(key, valueLoader, ex);
        }
    }

    private void bypass(@Nullable String reason) {
        statistics.bypasses.increment();
        warnings.warn("Cache '" + name + "' is bypassed for " + reason);
    }
}
