package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.hotkey.HotKeyStatistics;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.LoadCoordinator;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.cache.support.NullValue;
import org.springframework.cache.support.SimpleValueWrapper;
import org.springframework.data.redis.serializer.SerializationException;

/**
 * One cache with two tiers: the read path L1 → Redis → loader and the write paths, with TTL
 * jitter, null caching, and protection of callers from Redis trouble and bad data.
 *
 * <p><b>Read.</b> An L1 hit returns at once. An L1 miss reads Redis; a Redis hit fills L1 for no
 * longer than the Redis entry has left. A miss in both runs the loader once per key in this JVM,
 * writes Redis then L1. Filling L1 never tells other instances anything.
 *
 * <p><b>Stampede.</b> With {@code stampede.enabled}, a miss in both tiers (after the in-JVM
 * single flight) takes the key's lock in Redis ({@link LoadCoordinator}): one instance loads, the
 * others wait for its value, bounded by {@code stampede.max-wait}. The loaded value is written
 * only while the lock still holds the loader's token, so a load that a put, evict or clear
 * overtook is returned to its callers but cached nowhere. With refresh-ahead, a read from Redis
 * of a value close to its expiry starts one background refresh; with fail-safe, an expired value
 * is kept in Redis for {@code fail-safe.max-stale} and served when the loader fails or is slow.
 * This applies to {@link #get(Object, Callable)}; the asynchronous loads of
 * {@link #retrieve(Object, Supplier)} use the in-JVM single flight only.
 *
 * <p><b>Hot keys.</b> With {@code hot-keys.enabled}, every read is counted (see {@link HotKeys}).
 * A hot key is kept in L1 for {@code hot-keys.l1-ttl}, also when L1 is off (a small L1 then holds
 * hot keys only); on a Redis Cluster its value is also kept in replicas spread over the slots, which
 * its reads pick at random, and its writes and evicts cover. The other instances are told which keys
 * are hot.
 *
 * <p><b>Write.</b> {@code put} writes Redis then L1, {@code evict} deletes from both, {@code clear}
 * removes the cache's keys from Redis with SCAN and UNLINK; each then tells the other instances
 * through the {@link InvalidationPublisher}.
 *
 * <p><b>Trouble.</b> No method throws because Redis failed, a key has no stable text form, or the
 * bytes in Redis cannot be decoded: these are logged and handled as misses. A write that could not
 * reach Redis is remembered, and the key is deleted from Redis once it answers again, so that no
 * instance reads the value the write replaced.
 */
public final class TieredCache {

    private static final Log logger = LogFactory.getLog(TieredCache.class);
    private static final int MAX_PENDING_DELETES = 10_000;

    private final String name;
    private final CacheSettings settings;
    private final TieredCacheContext context;
    private final L1Guard guard;
    // The cache's L1; when L1 is off but hot keys are pinned, a small L1 for hot keys only.
    private final @Nullable L1Tier l1;
    private final @Nullable HotKeys hotKeys;
    private final boolean pinsHotKeys;
    private final @Nullable RedisTier l2;
    private final EntryCodec codec;
    private final byte[] keyPrefix;
    private final byte[] clearPattern;
    private final byte[] clearLocksPattern;
    private final byte @Nullable [] clearReplicasPattern;
    private final @Nullable LoadCoordinator coordinator;
    private final StampedeStatistics stampedeStatistics = new StampedeStatistics();
    private final CacheStatistics statistics = new CacheStatistics();
    private final LogThrottle warnings = new LogThrottle(logger);
    // What runs when both tiers miss a key (single flight, lease, fail-safe), and refresh-ahead.
    private final LoadPath loads;
    private final Set<String> pendingDeletes = ConcurrentHashMap.newKeySet();
    // Bumped by every local invalidation of a key (its stripe) or of the whole cache, so that a value
    // read before it is not put into L1 after it.
    private final Generations generations = new Generations();
    private volatile boolean pendingClear;

    /**
     * Creates the cache.
     * @param name the cache name, non-empty
     * @param settings its settings
     * @param context what it shares with the other caches of its manager
     * @throws IllegalArgumentException when L2 is enabled but the context has no Redis tier
     */
    public TieredCache(String name, CacheSettings settings, TieredCacheContext context) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("cache name must not be empty");
        }
        this.name = name;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.context = Objects.requireNonNull(context, "context");
        this.guard = context.l1Guard();
        if (settings.l2Enabled() && context.redis() == null) {
            throw new IllegalArgumentException("Cache '" + name + "' has l2-enabled=true but no Redis is configured");
        }
        this.l2 = settings.l2Enabled() ? context.redis() : null;
        HotKeySettings hot = settings.hotKeys();
        // Pinning matters where L1 would not keep the key as long, or at all; without Redis the
        // loader is the only other source, and the cache's own L1 already keeps what it can.
        this.pinsHotKeys = hot.pins() && l2 != null;
        if (settings.l1Enabled()) {
            this.l1 = new L1Tier(settings.l1MaximumSize(), context.ticker(), context.executor());
        }
        else {
            this.l1 = pinsHotKeys ? new L1Tier(4L * hot.maxHotKeys(), context.ticker(), context.executor()) : null;
        }
        this.codec = new EntryCodec(context.serializer(), settings.compressionThreshold(), settings.maxValueSize());
        String segment = keySegment(name);
        String prefix = context.keyPrefix().isEmpty() ? segment + ":" : context.keyPrefix() + ":" + segment + ":";
        this.keyPrefix = prefix.getBytes(StandardCharsets.UTF_8);
        this.clearPattern = (escapeGlob(prefix) + "*").getBytes(StandardCharsets.UTF_8);
        // Lock keys of values without a hash tag: {prefix:cache:key}:lock (see LockKeys).
        this.clearLocksPattern = ("{" + escapeGlob(prefix) + "*").getBytes(StandardCharsets.UTF_8);
        // Replicas of hot keys: <prefix>:<cache>%hot{<tag>}:<key> (the cache segment never holds a bare '%').
        String replicaNamespace = prefix.substring(0, prefix.length() - 1) + "%hot";
        this.hotKeys = hot.enabled() ? new HotKeys(name, hot, context, l2, replicaNamespace) : null;
        this.clearReplicasPattern = (hotKeys != null && hotKeys.replicates())
                ? (escapeGlob(replicaNamespace) + "{*").getBytes(StandardCharsets.UTF_8) : null;
        boolean coordinated = settings.stampede().enabled() || settings.refresh().mode() != RefreshSettings.Mode.NONE;
        this.coordinator = (l2 != null && coordinated)
                ? new LoadCoordinator(l2, loadedChannel(context.keyPrefix()), stampedeStatistics) : null;
        this.loads = new LoadPath(name, settings, context, coordinator, statistics, stampedeStatistics, warnings,
                new LoadTiers());
        if (l2 != null) {
            l2.circuitBreaker().addListener((from, to) -> {
                if (to == CircuitBreaker.State.CLOSED) {
                    context.executor().execute(this::redisRecovered);
                }
            });
        }
        context.publisher().register(this);
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
     * The L1 tier: with L1 disabled but hot keys pinned, a small L1 that holds hot keys only.
     * @return the L1 tier, or {@code null} when this cache keeps nothing in L1
     */
    public @Nullable L1Tier l1() {
        return l1;
    }

    /**
     * The keys hot in this instance, found here or announced by other instances, hottest first.
     * @return a snapshot, empty when hot-key handling is off
     */
    public List<HotKeyStatus> hotKeys() {
        HotKeys hot = reviewedHotKeys();
        return (hot != null) ? hot.snapshot() : List.of();
    }

    /**
     * The number of keys {@link #hotKeys()} lists with the given {@link HotKeyStatus#local()}, without
     * building that list: as of the last review, which runs now if one is due. A key no longer read
     * may still be counted as hot here for up to one review interval ({@code hot-keys.window} / 10,
     * between 100 ms and 1 s) after {@code hotKeys()} stopped listing it.
     * @param local {@code true} for the keys found hot here, {@code false} for those hot here only
     *        because another instance announced them
     * @return the count, 0 when hot-key handling is off
     */
    public int hotKeyCount(boolean local) {
        HotKeys hot = reviewedHotKeys();
        return (hot != null) ? hot.count(local) : 0;
    }

    /**
     * The hot keys for a reader (the endpoint, meters), after running a review that is due, so that
     * what it sees is current even when reads have not started one yet.
     */
    private @Nullable HotKeys reviewedHotKeys() {
        HotKeys hot = hotKeys;
        if (hot != null && hot.startReviewIfDue()) {
            reviewHotKeys();
        }
        return hot;
    }

    /**
     * The running counts of hot-key handling.
     * @return the counts, or {@code null} when hot-key handling is off
     */
    public @Nullable HotKeyStatistics hotKeyStatistics() {
        return (hotKeys != null) ? hotKeys.statistics() : null;
    }

    /**
     * The number of replicas each hot key of this cache has in Redis.
     * @return 0 when hot keys are not replicated (standalone Redis, {@code hot-keys.replicas = 0})
     */
    public int hotKeyReplicas() {
        return (hotKeys != null) ? hotKeys.replicaCount() : 0;
    }

    /**
     * The Redis keys of a key's replicas, whether or not the key is hot.
     * @param key the cache key
     * @return the replica keys, empty when hot keys are not replicated
     * @throws IllegalArgumentException when the key has no stable text form
     */
    public List<String> replicaKeysOf(Object key) {
        if (hotKeys == null) {
            return List.of();
        }
        String text = context.keyConverter().convert(key);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < hotKeys.replicaCount(); i++) {
            keys.add(new String(hotKeys.replicaKey(i, text), StandardCharsets.UTF_8));
        }
        return keys;
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
        recordRead(key);
        ValueWrapper local = lookupL1(key);
        if (local != null) {
            return local;
        }
        if (l2 == null) {
            statistics.misses.increment();
            return null;
        }
        String text = keyText(key);
        return (text != null) ? lookupL2(key, text, fillTicket(text)) : null;
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
        L1Entry entry = servableL1(key);
        if (entry == null) {
            return null;
        }
        recordRead(key);
        statistics.l1Hits.increment();
        return entry;
    }

    /**
     * Returns the cached value, or loads, caches and returns it. Concurrent callers for the same
     * key in this JVM share one loader call, and with {@code stampede.enabled} so do those of
     * every instance (see {@link LoadCoordinator}). A value read from Redis may start a background
     * refresh (refresh-ahead); an expired value may be served when the loader fails (fail-safe).
     * @param key the key
     * @param loader computes the value on a miss
     * @param <T> the value type
     * @return the value
     * @throws ValueRetrievalException when the loader throws and no stale value may be served, or
     *         a wait timed out ({@code stampede.on-timeout = FAIL}, {@code fail-safe.hard-timeout})
     */
    @SuppressWarnings("unchecked")
    public <T> @Nullable T get(@Nullable Object key, Callable<T> loader) {
        if (key == null) {
            bypass("a null key");
            return callLoader(null, loader);
        }
        recordRead(key);
        ValueWrapper local = lookupL1(key);
        if (local != null) {
            return (T) local.get();
        }
        String text = keyText(key);
        if (text == null) {
            return callLoader(key, loader);
        }
        StoredEntry stale = null;
        if (l2 != null) {
            long ticket = fillTicket(text);
            StoredEntry entry = readEntry(text, ticket);
            ValueWrapper shared = served(key, text, entry, ticket);
            if (shared != null) {
                loads.refreshIfDue(key, text, Objects.requireNonNull(entry), loader);
                return (T) shared.get();
            }
            stale = entry;
        }
        else {
            statistics.misses.increment();
        }
        return loads.loadMissing(key, text, loader, stale);
    }

    /**
     * Looks a key up without blocking the caller.
     * @param key the key
     * @return {@code null} when the cache knows at once that the key is absent; otherwise a future
     *         of the cached value wrapper, completing with {@code null} on a late-found miss
     */
    public @Nullable CompletableFuture<@Nullable ValueWrapper> retrieve(Object key) {
        recordRead(key);
        ValueWrapper local = lookupL1(key);
        if (local != null) {
            return CompletableFuture.completedFuture(local);
        }
        if (l2 == null) {
            statistics.misses.increment();
            return null;
        }
        String text = keyText(key);
        if (text == null) {
            return null;
        }
        long ticket = fillTicket(text);
        return readEntryAsync(text, ticket).thenApply(entry -> served(key, text, entry, ticket));
    }

    /**
     * Returns the cached value, or starts the loader, caches its result and returns it, without
     * blocking the caller. Concurrent callers for the same key in this JVM share one loader call.
     * @param key the key
     * @param loader starts computing the value on a miss
     * @param <T> the value type
     * @return a future of the value
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> loader) {
        recordRead(key);
        ValueWrapper local = lookupL1(key);
        if (local != null) {
            return CompletableFuture.completedFuture((T) local.get());
        }
        String text = keyText(key);
        if (text == null) {
            return loader.get();
        }
        long ticket = fillTicket(text);
        CompletableFuture<@Nullable ValueWrapper> shared = (l2 != null)
                ? readEntryAsync(text, ticket).thenApply(entry -> served(key, text, entry, ticket))
                : CompletableFuture.completedFuture(missWithoutL2());
        return shared.thenCompose(hit -> (hit != null)
                ? CompletableFuture.completedFuture((T) hit.get())
                : loads.loadMissingAsync(key, text, loader));
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
        String text = keyText(key);
        if (text == null) {
            return;
        }
        statistics.puts.increment();
        if (value == null && !settings.cacheNullValues()) {
            evict(key, text);
            return;
        }
        generations.bump(text);
        store(key, text, value, 0, true, fillTicket(text));
    }

    /**
     * Stores a value unless the key is present in either tier.
     * @param key the key
     * @param value the value
     * @return the present value, or {@code null} when this value was stored
     */
    public @Nullable ValueWrapper putIfAbsent(@Nullable Object key, @Nullable Object value) {
        ValueWrapper existing = lookup(key);
        if (existing != null || key == null) {
            return existing;
        }
        String text = keyText(key);
        if (text == null || (value == null && !settings.cacheNullValues())) {
            return null;
        }
        statistics.puts.increment();
        if (l2 == null) {
            generations.bump(text);
            store(key, text, value, 0, true, fillTicket(text));
            return null;
        }
        Storing storing = Objects.requireNonNull(storing(key, text, value, 0));
        byte[] bytes = storing.bytes();
        if (bytes == null) {
            return null;
        }
        RedisTier.SetIfAbsentResult result = writeIfAbsent(text, bytes, storing.physicalTtlMillis(), true);
        if (result.stored()) {
            storing.written();
        }
        if (result.stored() || result.failed()) {
            generations.bump(text);
            storing.fillL1(fillTicket(text));
            context.publisher().keysChanged(name, text);
            return null;
        }
        byte[] present = result.existing();
        return (present != null) ? fromRedis(key, text, present, fillTicket(text)) : null;
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
        String text = keyText(key);
        return text != null && evict(key, text);
    }

    /**
     * Removes every key of this cache from Redis (SCAN and UNLINK, on every master) and L1, and
     * tells the other instances.
     * @return whether anything was known to be present
     */
    public boolean clear() {
        statistics.clears.increment();
        generations.bumpAll();
        boolean present = false;
        if (l2 != null) {
            // Locks first, so that no load under way can write its value after the values are gone.
            long locks = (coordinator != null) ? l2.deleteMatching(clearLocksPattern) : 0;
            long removed = (locks < 0) ? -1 : l2.deleteMatching(clearPattern);
            if (removed >= 0 && clearReplicasPattern != null && l2.deleteMatching(clearReplicasPattern) < 0) {
                removed = -1;
            }
            if (removed < 0) {
                pendingClear = true;
            }
            present = removed > 0;
        }
        if (l1 != null) {
            present |= l1.estimatedSize() > 0;
            l1.invalidateAll();
        }
        context.publisher().cacheCleared(name);
        return present;
    }

    // ---- local operations, driven by other instances and by Redis recovery -------------------

    /**
     * Drops one key from this instance's L1 only, as told by another instance.
     * @param keyText the key's text form
     * @return whether it was present
     */
    public boolean invalidateLocal(String keyText) {
        generations.bump(keyText);
        if (hotKeys != null) {
            // Its writer may not have known the key was hot here, and left the replicas as they were.
            hotKeys.deletedAsync(keyText);
        }
        return l1 != null && l1.invalidateByText(keyText);
    }

    /**
     * Takes the hot keys another instance announced for this cache: they are read from their
     * replicas here too, until the lease runs out unless announced again.
     * @param keyTexts the keys' text forms
     * @param leaseMillis how long they stay hot here
     */
    public void hotKeysAnnounced(Collection<String> keyTexts, long leaseMillis) {
        if (hotKeys != null) {
            hotKeys.announced(keyTexts, leaseMillis);
        }
    }

    /** Drops this instance's whole L1 only. */
    public void clearLocal() {
        generations.bumpAll();
        if (l1 != null) {
            l1.invalidateAll();
        }
    }

    /**
     * Called (on the context's executor) when Redis answers again after its circuit breaker
     * opened: drops L1, which may have missed invalidations, and replays the deletes and clears
     * that could not reach Redis.
     */
    void redisRecovered() {
        clearLocal();
        if (l2 == null) {
            return;
        }
        if (hotKeys != null) {
            hotKeys.distrust();
        }
        if (pendingClear) {
            pendingClear = false;
            pendingDeletes.clear();
            if (l2.deleteMatching(clearPattern) < 0
                    || (clearReplicasPattern != null && l2.deleteMatching(clearReplicasPattern) < 0)) {
                pendingClear = true;
            }
            else {
                context.publisher().cacheCleared(name);
            }
            return;
        }
        for (String text : pendingDeletes) {
            if (deleteFromRedis(text) < 0) {
                return;
            }
            pendingDeletes.remove(text);
            context.publisher().keysChanged(name, text);
        }
    }

    /**
     * The Redis key of a cache key: {@code prefix:cache:text}.
     * @param key the cache key
     * @return the Redis key
     * @throws IllegalArgumentException when the key has no stable text form
     */
    public String redisKeyOf(Object key) {
        return new String(redisKey(context.keyConverter().convert(key)), StandardCharsets.UTF_8);
    }

    // ---- internals ---------------------------------------------------------------------------

    private @Nullable ValueWrapper lookupL1(Object key) {
        L1Entry entry = servableL1(key);
        if (entry != null) {
            statistics.l1Hits.increment();
            return entry;
        }
        if (settings.l1Enabled()) {
            statistics.l1Misses.increment();
        }
        return null;
    }

    /** The key's L1 entry if it may be served (the guard has not dropped it since); counts nothing. */
    private @Nullable L1Entry servableL1(Object key) {
        L1Tier tier = l1;
        if (tier == null) {
            return null;
        }
        L1Entry entry = tier.get(key);
        return (entry != null && entry.epoch() == guard.epoch()) ? entry : null;
    }

    private void recordRead(Object key) {
        HotKeys hot = hotKeys;
        if (hot != null && hot.record(key)) {
            try {
                context.executor().execute(this::reviewHotKeys);
            }
            catch (RejectedExecutionException ex) {
                hot.reviewFailed();
            }
        }
    }

    /**
     * Reviews the hot keys (in the background, about once per review interval while reads come
     * in): copies the replicas of keys newly hot, and tells the other instances.
     */
    private void reviewHotKeys() {
        HotKeys hot = Objects.requireNonNull(hotKeys);
        HotKeys.Review review;
        try {
            review = hot.review();
            for (String text : review.toCopy()) {
                copyToReplicas(hot, text);
            }
        }
        catch (RuntimeException ex) {
            hot.reviewFailed();
            warnings.warn("Cache '" + name + "': reviewing hot keys failed: " + ex);
            return;
        }
        hot.reviewed(review);
        if (!review.hotHere().isEmpty()) {
            context.publisher().hotKeys(name, review.hotHere(), hot.announcementLeaseMillis());
        }
    }

    private void copyToReplicas(HotKeys hot, String text) {
        RedisTier redis = Objects.requireNonNull(l2);
        long ticket = fillTicket(text);
        byte[] bytes = redis.get(redisKey(text));
        StoredEntry entry = (bytes != null) ? decode(text, bytes) : null;
        hot.copied(text, (entry != null) ? bytes : null, (entry != null) ? physicalRemaining(entry) : 0,
                () -> fillTicket(text), ticket);
    }

    /** The time an entry read from Redis has left there, fail-safe's stale period included. */
    private long physicalRemaining(StoredEntry entry) {
        if (entry.expiresAtEpochMillis() == Long.MAX_VALUE) {
            return physicalTtl(settings.l2Ttl().toMillis());
        }
        return physicalTtl(entry.expiresAtEpochMillis() - context.clock().millis());
    }

    private @Nullable ValueWrapper lookupL2(Object key, String text, long ticket) {
        return served(key, text, readEntry(text, ticket), ticket);
    }

    /**
     * Reads a key's entry from Redis; a hot key from one of its replicas, chosen at random, and
     * from the key itself when that replica misses (copying it there).
     */
    private @Nullable StoredEntry readEntry(String text, long ticket) {
        RedisTier redis = Objects.requireNonNull(l2);
        byte[] replica = replicaToRead(text);
        if (replica != null) {
            StoredEntry entry = fromReplica(text, redis.get(replica));
            if (entry != null) {
                return entry;
            }
        }
        return fromKey(text, redis.get(redisKey(text)), replica, ticket);
    }

    /** As {@link #readEntry}, without blocking: the key itself is read once the replica's reply is in. */
    private CompletableFuture<@Nullable StoredEntry> readEntryAsync(String text, long ticket) {
        RedisTier redis = Objects.requireNonNull(l2);
        byte[] replica = replicaToRead(text);
        if (replica == null) {
            return redis.getAsync(redisKey(text)).thenApply(bytes -> fromKey(text, bytes, null, ticket));
        }
        return redis.getAsync(replica).thenCompose(copy -> {
            StoredEntry entry = fromReplica(text, copy);
            return (entry != null) ? CompletableFuture.completedFuture(entry)
                    : redis.getAsync(redisKey(text)).thenApply(bytes -> fromKey(text, bytes, replica, ticket));
        });
    }

    /** @return the replica a read of the key goes to first, or {@code null} to read the key itself only */
    private byte @Nullable [] replicaToRead(String text) {
        return (hotKeys != null) ? hotKeys.replicaToRead(text) : null;
    }

    /**
     * A replica's reply: its entry serves the read (a replica hit); otherwise the key itself is read,
     * and {@link #fromKey} counts the replica miss if the key holds a value.
     * @return the entry, or {@code null} to read the key itself
     */
    private @Nullable StoredEntry fromReplica(String text, byte @Nullable [] copy) {
        StoredEntry entry = (copy != null) ? decode(text, copy) : null;
        if (entry != null) {
            Objects.requireNonNull(hotKeys).onReplicaHit();
        }
        return entry;
    }

    /**
     * The key's own reply. When a replica was read first and missed, a value found here is copied to
     * that replica (and counted as a replica miss) unless an invalidation happened since {@code ticket}.
     * @param replica the replica that missed, or {@code null} when none was read
     * @return the entry, or {@code null} on a miss
     */
    private @Nullable StoredEntry fromKey(String text, byte @Nullable [] bytes, byte @Nullable [] replica,
            long ticket) {
        StoredEntry entry = (bytes != null) ? decode(text, bytes) : null;
        if (replica != null && entry != null) {
            Objects.requireNonNull(hotKeys).refill(replica, Objects.requireNonNull(bytes), physicalRemaining(entry),
                    () -> fillTicket(text), ticket);
        }
        return entry;
    }

    /**
     * Taken before a value is read from Redis or loaded: the guard's epoch and the key's generation,
     * so that the value is put into L1 only if nothing invalidated the key (or the cache, or all of
     * L1) meanwhile.
     */
    private long fillTicket(String text) {
        return ((long) guard.epoch() << 32) | (generations.of(text) & 0xFFFFFFFFL);
    }

    private @Nullable ValueWrapper missWithoutL2() {
        statistics.misses.increment();
        return null;
    }

    private @Nullable ValueWrapper fromRedis(Object key, String text, byte @Nullable [] bytes, long ticket) {
        return served(key, text, (bytes != null) ? decode(text, bytes) : null, ticket);
    }

    /**
     * Serves an entry read from Redis, filling L1, or counts a miss. With fail-safe, an entry past
     * its (logical) expiry is a miss: it is kept in Redis only to be served when loading fails.
     */
    private @Nullable ValueWrapper served(Object key, String text, @Nullable StoredEntry entry, long ticket) {
        long now = context.clock().millis();
        if (entry == null || (settings.failSafe().enabled() && entry.isExpired(now))) {
            statistics.l2Misses.increment();
            statistics.misses.increment();
            return null;
        }
        statistics.l2Hits.increment();
        long remaining = entry.remainingMillis(now);
        if (remaining > 0) {
            L1Entry filled = fillL1(key, text, entry.value(), remaining, ticket);
            if (filled != null) {
                return filled;
            }
        }
        return new SimpleValueWrapper(entry.value());
    }

    /** The TTL a value gets in Redis: its logical TTL, plus the time fail-safe may serve it stale. */
    private long physicalTtl(long ttlMillis) {
        FailSafeSettings failSafe = settings.failSafe();
        return failSafe.enabled() ? ttlMillis + failSafe.maxStale().toMillis() : ttlMillis;
    }

    private <T> @Nullable T callLoader(@Nullable Object key, Callable<T> loader) {
        try {
            return loader.call();
        }
        catch (Exception ex) {
            statistics.loadFailures.increment();
            throw new ValueRetrievalException(key, loader, ex);
        }
    }

    /**
     * Stores a value in Redis, then L1. A put ({@code broadcast}) also deletes the key's lock with
     * the write, deletes the key when the write fails, and tells the other instances; a load does
     * none of these.
     */
    private void store(Object key, String text, @Nullable Object value, int loadMillis, boolean broadcast,
            long ticket) {
        Storing storing = storing(key, text, value, loadMillis);
        if (storing == null) {
            return;
        }
        if (l2 != null) {
            byte[] bytes = storing.bytes();
            boolean written = (bytes != null) && write(text, bytes, storing.physicalTtlMillis(), broadcast);
            if (written) {
                storing.written();
            }
            else if (broadcast) {
                // The value Redis holds for this key is now outdated: it must go, now or on recovery.
                deleteFromRedis(text);
            }
        }
        storing.fillL1(ticket);
        if (broadcast) {
            context.publisher().keysChanged(name, text);
        }
    }

    /** As {@link #store} for a load, with the writes to Redis (and a hot key's replicas) not awaited. */
    private void storeAsync(Object key, String text, @Nullable Object value, int loadMillis, long ticket) {
        Storing storing = storing(key, text, value, loadMillis);
        if (storing == null) {
            return;
        }
        byte[] bytes = storing.bytes();
        if (l2 != null && bytes != null) {
            l2.setAsync(redisKey(text), bytes, storing.physicalTtlMillis()).thenAccept(written -> {
                if (written) {
                    storing.writtenAsync();
                }
            });
        }
        storing.fillL1(ticket);
    }

    /**
     * Starts storing a value: the first step of every write of a value, by the application or a load.
     * @param loadMillis how long its load took, kept for refresh-ahead; 0 for a put
     * @return the value with its TTL and, with Redis, its encoded entry; {@code null} for a null in a
     *         cache that does not cache nulls
     */
    private @Nullable Storing storing(Object key, String text, @Nullable Object value, int loadMillis) {
        if (value == null && !settings.cacheNullValues()) {
            return null;
        }
        long ttl = l2TtlMillis(value == null);
        byte[] bytes = null;
        if (l2 != null) {
            long now = context.clock().millis();
            bytes = encode(text, new StoredEntry(value, now, now + ttl, loadMillis));
        }
        return new Storing(key, text, value, ttl, bytes);
    }

    /**
     * A value on its way into the tiers: what follows its write to Redis, the same for every write.
     * Each writer decides itself how the bytes go to Redis, and whether L1 is filled when they did not.
     */
    private final class Storing implements LoadPath.Storing {

        private final Object key;
        private final String text;
        private final @Nullable Object value;
        // The logical TTL in Redis, which also bounds the time in L1.
        private final long ttlMillis;
        private final byte @Nullable [] bytes;

        Storing(Object key, String text, @Nullable Object value, long ttlMillis, byte @Nullable [] bytes) {
            this.key = key;
            this.text = text;
            this.value = value;
            this.ttlMillis = ttlMillis;
            this.bytes = bytes;
        }

        @Override
        public byte @Nullable [] bytes() {
            return bytes;
        }

        @Override
        public long physicalTtlMillis() {
            return physicalTtl(ttlMillis);
        }

        @Override
        public void written() {
            if (hotKeys != null) {
                hotKeys.written(text, Objects.requireNonNull(bytes), physicalTtlMillis());
            }
        }

        /** As {@link #written()}, without waiting for the replicas. */
        void writtenAsync() {
            if (hotKeys != null) {
                hotKeys.writtenAsync(text, Objects.requireNonNull(bytes), physicalTtlMillis());
            }
        }

        @Override
        public void fillL1(long ticket) {
            TieredCache.this.fillL1(key, text, value, (l2 != null) ? ttlMillis : Long.MAX_VALUE, ticket);
        }
    }

    /**
     * Puts a value read from Redis or loaded into L1 for its L1 TTL, or for {@code hot-keys.l1-ttl}
     * when the key is hot and that is longer (also when L1 is off), never beyond {@code limitMillis}.
     */
    private @Nullable L1Entry fillL1(Object key, String text, @Nullable Object value, long limitMillis, long ticket) {
        boolean pinned = pinsHotKeys && Objects.requireNonNull(hotKeys).isHot(text);
        if (!settings.l1Enabled() && !pinned) {
            return null;
        }
        long ttl = l1TtlMillis(value == null);
        if (pinned) {
            ttl = Math.max(ttl, pinTtlMillis(value == null));
        }
        return putL1(key, text, value, Math.min(ttl, limitMillis), ticket);
    }

    /**
     * Puts a value into L1 unless an invalidation happened since {@code ticket} was taken. The
     * check is repeated after the put, so an invalidation that lands in between still removes it.
     */
    private @Nullable L1Entry putL1(Object key, String text, @Nullable Object value, long ttlMillis, long ticket) {
        if (l1 == null) {
            return null;
        }
        long ttl = guard.capTtl(ttlMillis);
        if (ttl <= 0 || fillTicket(text) != ticket) {
            return null;
        }
        L1Entry entry = l1.put(key, text, (value != null) ? value : NullValue.INSTANCE,
                TimeUnit.MILLISECONDS.toNanos(ttl), (int) (ticket >>> 32));
        if (fillTicket(text) != ticket) {
            l1.invalidate(key);
            return null;
        }
        return entry;
    }

    private boolean evict(Object key, String text) {
        statistics.evictions.increment();
        generations.bump(text);
        boolean present = false;
        if (l1 != null) {
            present = l1.invalidate(key) | l1.invalidateByText(text);
        }
        if (l2 != null) {
            present |= deleteFromRedis(text) > 0;
        }
        context.publisher().keysChanged(name, text);
        return present;
    }

    /**
     * Writes a value to Redis (the key itself; its replicas are the caller's, see {@link Storing});
     * a write by the application (a put) also deletes the key's lock in the same step, so that a load
     * under way cannot overwrite it.
     */
    private boolean write(String text, byte[] bytes, long ttlMillis, boolean byApplication) {
        RedisTier redis = Objects.requireNonNull(l2);
        byte[] valueKey = redisKey(text);
        byte[] lockKey = (byApplication && coordinator != null) ? coordinator.lockKey(valueKey) : null;
        return (lockKey != null) ? Objects.requireNonNull(coordinator).put(valueKey, lockKey, bytes, ttlMillis)
                : redis.set(valueKey, bytes, ttlMillis);
    }

    /** As {@link #write}, unless the key is present in Redis. */
    private RedisTier.SetIfAbsentResult writeIfAbsent(String text, byte[] bytes, long ttlMillis,
            boolean byApplication) {
        RedisTier redis = Objects.requireNonNull(l2);
        byte[] valueKey = redisKey(text);
        byte[] lockKey = (byApplication && coordinator != null) ? coordinator.lockKey(valueKey) : null;
        return (lockKey != null) ? Objects.requireNonNull(coordinator).putIfAbsent(valueKey, lockKey, bytes, ttlMillis)
                : redis.setIfAbsent(valueKey, bytes, ttlMillis);
    }

    /** Deletes a key from Redis, with its lock, so that a load under way cannot write it back. */
    private long deleteFromRedis(String text) {
        byte[] valueKey = redisKey(text);
        byte[] lockKey = (coordinator != null) ? coordinator.lockKey(valueKey) : null;
        long removed = (lockKey != null) ? Objects.requireNonNull(coordinator).evict(valueKey, lockKey)
                : Objects.requireNonNull(l2).delete(valueKey);
        if (hotKeys != null) {
            hotKeys.deleted(text);
        }
        if (removed < 0) {
            if (pendingDeletes.size() < MAX_PENDING_DELETES) {
                pendingDeletes.add(text);
            }
            else {
                pendingClear = true;
            }
        }
        return removed;
    }

    private long l1TtlMillis(boolean nullValue) {
        long ttl = nullValue ? Math.min(settings.nullTtl().toMillis(), settings.l1Ttl().toMillis())
                : settings.l1Ttl().toMillis();
        return context.jitter().apply(ttl, settings.ttlJitter());
    }

    private long pinTtlMillis(boolean nullValue) {
        long ttl = settings.hotKeys().l1Ttl().toMillis();
        return context.jitter().apply(nullValue ? Math.min(ttl, settings.nullTtl().toMillis()) : ttl,
                settings.ttlJitter());
    }

    private long l2TtlMillis(boolean nullValue) {
        long ttl = nullValue ? settings.nullTtl().toMillis() : settings.l2Ttl().toMillis();
        return context.jitter().apply(ttl, settings.ttlJitter());
    }

    private byte @Nullable [] encode(String text, StoredEntry entry) {
        try {
            return codec.encode(entry);
        }
        catch (SerializationException | IllegalArgumentException ex) {
            statistics.codecErrors.increment();
            warnings.warn("Cache '" + name + "': value for key '" + text + "' of type "
                    + (entry.value() != null ? entry.value().getClass().getName() : "null")
                    + " is kept in L1 only, it cannot be written to Redis: " + ex.getMessage());
            return null;
        }
    }

    private @Nullable StoredEntry decode(String text, byte[] bytes) {
        try {
            return codec.decode(bytes);
        }
        catch (SerializationException | IllegalArgumentException ex) {
            statistics.codecErrors.increment();
            warnings.warn("Cache '" + name + "': the value in Redis for key '" + text
                    + "' cannot be read and is treated as a miss: " + ex.getMessage());
            return null;
        }
    }

    private @Nullable String keyText(Object key) {
        try {
            return context.keyConverter().convert(key);
        }
        catch (RuntimeException ex) {
            bypass(ex.getMessage());
            return null;
        }
    }

    private void bypass(@Nullable String reason) {
        statistics.bypasses.increment();
        warnings.warn("Cache '" + name + "' is bypassed for " + reason);
    }

    private byte[] redisKey(String text) {
        byte[] key = text.getBytes(StandardCharsets.UTF_8);
        byte[] full = new byte[keyPrefix.length + key.length];
        System.arraycopy(keyPrefix, 0, full, 0, keyPrefix.length);
        System.arraycopy(key, 0, full, keyPrefix.length, key.length);
        return full;
    }

    /**
     * The cache's segment of a Redis key: its name with {@code %} and {@code :} percent-encoded,
     * so that cache {@code a} with key {@code b:1} and cache {@code a:b} with key {@code 1} get
     * different keys, and clearing {@code users} cannot match the keys of {@code users:admins}.
     */
    static String keySegment(String cacheName) {
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

    /**
     * The operations of this cache that its {@link LoadPath} uses: a private view, so that the
     * load path reaches only these and this class adds nothing to its own API.
     */
    private final class LoadTiers implements LoadPath.Tiers {

        @Override
        public long fillTicket(String text) {
            return TieredCache.this.fillTicket(text);
        }

        @Override
        public byte[] redisKey(String text) {
            return TieredCache.this.redisKey(text);
        }

        @Override
        public @Nullable StoredEntry decode(String text, byte[] bytes) {
            return TieredCache.this.decode(text, bytes);
        }

        @Override
        public @Nullable L1Entry currentL1(Object key) {
            return servableL1(key);
        }

        @Override
        public @Nullable L1Entry fillL1(Object key, String text, @Nullable Object value, long limitMillis,
                long ticket) {
            return TieredCache.this.fillL1(key, text, value, limitMillis, ticket);
        }

        @Override
        public @Nullable L1Entry putL1(Object key, String text, @Nullable Object value, long ttlMillis, long ticket) {
            return TieredCache.this.putL1(key, text, value, ttlMillis, ticket);
        }

        @Override
        public long l1TtlMillis(boolean nullValue) {
            return TieredCache.this.l1TtlMillis(nullValue);
        }

        @Override
        public void storeLoaded(Object key, String text, @Nullable Object value, int loadMillis, long ticket) {
            store(key, text, value, loadMillis, false, ticket);
        }

        @Override
        public void storeAsync(Object key, String text, @Nullable Object value, int loadMillis, long ticket) {
            TieredCache.this.storeAsync(key, text, value, loadMillis, ticket);
        }

        @Override
        public RedisTier.SetIfAbsentResult setIfAbsent(String text, byte[] bytes, long ttlMillis) {
            return writeIfAbsent(text, bytes, ttlMillis, false);
        }

        @Override
        public LoadPath.@Nullable Storing storing(Object key, String text, @Nullable Object value, int loadMillis) {
            return TieredCache.this.storing(key, text, value, loadMillis);
        }
    }
}
