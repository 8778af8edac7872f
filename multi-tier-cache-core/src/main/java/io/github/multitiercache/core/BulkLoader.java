package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.BulkStore.Pending;
import io.github.multitiercache.core.stampede.Leases;
import io.github.multitiercache.core.stampede.Leases.Acquisition;
import io.github.multitiercache.core.stampede.LoadWaitTimeoutException;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.Cache.ValueWrapper;

/**
 * The bulk reads of one {@link TieredCache}: many keys read, and the missing ones loaded, with a
 * constant number of Redis round trips per node instead of one per key.
 *
 * <ol>
 * <li>L1 for every key, each counted (hits, misses, hot-key reads) as a single read is;</li>
 * <li>the keys L1 missed read from Redis at once ({@link SharedTier#readAll});</li>
 * <li>with {@code stampede.enabled}, the leases of the keys still missing taken at once
 * ({@link Leases#acquireAll}): a key another instance loads is waited for, not loaded again;</li>
 * <li>the loader called once, with exactly the keys this call has to load;</li>
 * <li>their values written at once, each with its own jittered TTL: token-checked for the keys it
 * leased ({@link Leases#storeAll}), plainly otherwise ({@link SharedTier#writeAll}); a key absent
 * from the loader's map is a {@code null}, cached as one where the cache caches nulls;</li>
 * <li>the keys others were loading read once they land; a lease that expires while waited for is
 * taken over, and its keys loaded by a second call of the loader.</li>
 * </ol>
 * A loader failure releases the leases and serves the keys' expired values when fail-safe has one
 * for every key to load; otherwise it reaches the caller. Redis trouble never does: the keys are
 * then served from L1 and the loader.
 */
final class BulkLoader {

    private final String name;
    private final CacheSettings settings;
    private final KeySpace keys;
    private final FillGuard fills;
    private final ExpiryPolicy expiry;
    private final SafeCodec codec;
    private final NearTier near;
    private final TierReads reads;
    private final SharedTier shared;
    private final Store store;
    private final FailSafe failSafe;
    private final LeaseOutcomes outcomes;
    private final @Nullable Leases coordinator;
    private final CacheStatistics statistics;
    private final StampedeStatistics stampedeStatistics;
    private final LogThrottle warnings;
    private final LongSupplier nanoClock;
    private final BulkStore bulkStore;

    BulkLoader(LoadParts parts) {
        this.name = parts.name();
        this.settings = parts.settings();
        this.keys = parts.keys();
        this.fills = parts.fills();
        this.expiry = parts.expiry();
        this.codec = parts.codec();
        this.near = parts.near();
        this.reads = parts.reads();
        this.shared = parts.shared();
        this.store = parts.store();
        this.failSafe = parts.failSafe();
        this.outcomes = parts.outcomes();
        this.coordinator = parts.shared().coordinator();
        this.statistics = parts.statistics();
        this.stampedeStatistics = parts.stampedeStatistics();
        this.warnings = parts.warnings();
        this.nanoClock = parts.nanoClock();
        this.bulkStore = new BulkStore(store, shared, coordinator, outcomes);
    }

    /**
     * Reads many keys, and loads those missing when given a loader.
     * @param requested the keys, in the order of the result; duplicates count once, {@code null}s are
     *        bypassed
     * @param loader loads the missing keys, given exactly those; {@code null} to read only
     * @param keeps whether a loaded value (or {@code null}) of a key is cached; {@code null} for all
     * @return the values found or loaded, in the order of {@code requested}; a cached or loaded
     *         {@code null} is absent
     * @throws ValueRetrievalException when the loader throws and no stale value may be served for
     *         each key it was to load, or a wait for another instance timed out with
     *         {@code stampede.on-timeout = FAIL}
     */
    @SuppressWarnings("unchecked")
    <K, V> Map<K, V> getAll(Collection<? extends K> requested,
            @Nullable Function<? super Set<K>, ? extends @Nullable Map<? extends K, ? extends V>> loader,
            @Nullable BiPredicate<? super K, ? super V> keeps) {
        Set<K> wanted = new LinkedHashSet<>(requested);
        statistics.bulkRead(wanted.size());
        Map<Object, @Nullable Object> values = new HashMap<>();
        List<Pending> missing = new ArrayList<>();
        List<CacheKey> remote = new ArrayList<>();
        for (K key : wanted) {
            if (key == null) {
                statistics.bypasses.increment();
                warnings.warn("Cache '" + name + "' is bypassed for a null key of a bulk read");
                continue;
            }
            L1Entry local = reads.probe(key);
            if (local != null) {
                values.put(key, local.get());
                continue;
            }
            CacheKey cacheKey = keys.keyOrLocal(key);
            if (cacheKey.local()) {
                statistics.misses.increment();
                missing.add(new Pending(cacheKey, fills.ticket(cacheKey.text()), null));
            }
            else {
                remote.add(cacheKey);
            }
        }
        readShared(remote, values, missing);
        if (loader != null && !missing.isEmpty()) {
            load(missing, new Load<K, V>(loader, keeps), values);
        }
        Map<K, V> result = new LinkedHashMap<>();
        for (K key : wanted) {
            Object value = (key != null) ? values.get(key) : null;
            if (value != null) {
                result.put(key, (V) value);
            }
        }
        return result;
    }

    /** Redis for the keys L1 missed: a live entry fills L1; anything else is missing. */
    private void readShared(List<CacheKey> remote, Map<Object, @Nullable Object> values, List<Pending> missing) {
        if (remote.isEmpty()) {
            return;
        }
        long[] tickets = new long[remote.size()];
        for (int i = 0; i < tickets.length; i++) {
            tickets[i] = fills.ticket(remote.get(i).text());
        }
        List<@Nullable StoredEntry> entries = shared.readAll(remote);
        for (int i = 0; i < tickets.length; i++) {
            CacheKey key = remote.get(i);
            StoredEntry entry = entries.get(i);
            ValueWrapper hit = reads.served(key, entry, tickets[i]);
            if (hit != null) {
                values.put(key.key(), hit.get());
            }
            else {
                missing.add(new Pending(key, tickets[i], entry));
            }
        }
    }

    private void fill(CacheKey key, StoredEntry entry, long ticket, Map<Object, @Nullable Object> values) {
        long remaining = entry.remainingMillis(expiry.now());
        if (remaining > 0) {
            near.fill(key, entry.value(), entry.tags(), remaining, ticket);
        }
        values.put(key.key(), entry.value());
    }

    /** The keys missing from both tiers: leased, loaded and stored, or waited for. */
    private <K, V> void load(List<Pending> missing,
            Load<K, V> loader,
            Map<Object, @Nullable Object> values) {
        Leases coordinator = settings.stampede().enabled() ? this.coordinator : null;
        List<Pending> toLoad = new ArrayList<>();
        List<Pending> lockable = new ArrayList<>();
        for (Pending key : missing) {
            key.lockKey = (coordinator != null && !key.key.local()) ? coordinator.lockKey(key.key.redisKey()) : null;
            if (key.lockKey != null) {
                lockable.add(key);
            }
            else {
                if (coordinator != null && !key.key.local()) {
                    stampedeStatistics.onLockBypass();
                }
                toLoad.add(key);
            }
        }
        long startNanos = nanoClock.getAsLong();
        List<Pending> held = (coordinator != null && !lockable.isEmpty())
                ? acquire(coordinator, lockable, toLoad, values, false, startNanos) : List.of();
        try {
            loadAndStore(toLoad, loader, values, false);
            if (!held.isEmpty()) {
                waitFor(Objects.requireNonNull(coordinator), held, loader, values, startNanos);
            }
        }
        finally {
            if (coordinator != null) {
                for (Pending key : held) {
                    unwatch(coordinator, key);
                }
            }
        }
    }

    /**
     * Takes the leases of {@code keys} at once: a key present by now is served, a key leased or
     * unavailable joins {@code toLoad}, a key held by another load is returned, still watched.
     */
    private List<Pending> acquire(Leases coordinator, List<Pending> keys, List<Pending> toLoad,
            Map<Object, @Nullable Object> values, boolean waited, long startNanos) {
        List<byte[]> valueKeys = new ArrayList<>(keys.size());
        List<byte[]> lockKeys = new ArrayList<>(keys.size());
        for (Pending key : keys) {
            if (key.signal == null) {
                key.signal = coordinator.watch(key.key.redisKey());
            }
            valueKeys.add(key.key.redisKey());
            lockKeys.add(Objects.requireNonNull(key.lockKey));
        }
        List<Acquisition> attempts = coordinator.acquireAll(valueKeys, lockKeys,
                settings.stampede().lease().toMillis(), expiry.now());
        List<Pending> held = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Pending key = keys.get(i);
            Acquisition attempt = attempts.get(i);
            if (attempt.state() == Acquisition.State.HELD) {
                if (key.stale == null && attempt.value() != null && settings.failSafe().enabled()) {
                    key.stale = codec.decode(key.key.text(), Objects.requireNonNull(attempt.value()));
                }
                if (!waited) {
                    stampedeStatistics.onLockWait();
                }
                held.add(key);
                continue;
            }
            unwatch(coordinator, key);
            StoredEntry entry = (attempt.state() == Acquisition.State.PRESENT)
                    ? codec.decode(key.key.text(), Objects.requireNonNull(attempt.value())) : null;
            if (waited) {
                stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, entry != null);
            }
            if (entry != null) {
                fill(key.key, entry, key.ticket, values);
            }
            else if (attempt.state() == Acquisition.State.ACQUIRED) {
                if (waited) {
                    stampedeStatistics.onTakeover();
                }
                key.token = attempt.token();
                toLoad.add(key);
            }
            else {
                stampedeStatistics.onLockBypass();
                key.lockKey = null;
                toLoad.add(key);
            }
        }
        return held;
    }

    /**
     * Waits for the keys other loads hold, until they land or {@code stampede.max-wait} (or a
     * shorter {@code fail-safe.hard-timeout}) runs out; each wake-up re-tries their leases at once.
     */
    private <K, V> void waitFor(Leases coordinator, List<Pending> waiting,
            Load<K, V> loader,
            Map<Object, @Nullable Object> values, long startNanos) {
        long waitNanos = settings.stampede().maxWait().toNanos();
        long hardNanos = settings.failSafe().hardTimeout().toNanos();
        boolean hardBound = hardNanos > 0 && hardNanos < waitNanos;
        long deadline = startNanos + (hardBound ? hardNanos : waitNanos);
        List<Pending> held = new ArrayList<>(waiting);
        long backoff = 0;
        try {
            while (!held.isEmpty()) {
                long left = deadline - nanoClock.getAsLong();
                if (left <= 0) {
                    timedOut(held, loader, values, hardBound, startNanos);
                    return;
                }
                backoff = Leases.nextBackoff(backoff);
                CompletableFuture<?>[] signals = held.stream().map(key -> key.signal).toArray(CompletableFuture<?>[]::new);
                coordinator.await(CompletableFuture.anyOf(signals).thenApply(any -> null), Math.min(backoff, left));
                for (Pending key : held) {
                    if (key.signal == null || key.signal.isDone()) {
                        key.signal = coordinator.watch(key.key.redisKey());
                    }
                }
                List<Pending> takeovers = new ArrayList<>();
                held = acquire(coordinator, held, takeovers, values, true, startNanos);
                loadAndStore(takeovers, loader, values, false);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ValueRetrievalException(keysOf(held), () -> null, ex);
        }
        finally {
            waiting.forEach(key -> unwatch(coordinator, key));
            held.forEach(key -> unwatch(coordinator, key));
        }
    }

    /** The keys whose wait ran out: a stale value, a failure, or a load without the lease, as for one key. */
    private <K, V> void timedOut(List<Pending> held,
            Load<K, V> loader,
            Map<Object, @Nullable Object> values, boolean hardBound, long startNanos) {
        List<Pending> unlocked = new ArrayList<>();
        for (Pending key : held) {
            stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, false);
            LeaseOutcomes.WaitTimedOut outcome = outcomes.waitTimedOut(key.key, hardBound, key.stale);
            String staleReason = outcome.staleReason();
            LoadWaitTimeoutException failure = outcome.failure();
            if (staleReason != null) {
                values.put(key.key.key(), failSafe.serve(key.key, Objects.requireNonNull(key.stale), key.ticket,
                        staleReason));
            }
            else if (failure != null) {
                throw new ValueRetrievalException(key.key.key(), () -> null, failure);
            }
            else {
                key.lockKey = null;
                unlocked.add(key);
            }
        }
        loadAndStore(unlocked, loader, values, true);
    }

    /**
     * Calls the loader once for {@code toLoad} and stores what it returned.
     * @param ifAbsent write a value only where Redis holds none (after a wait that ran out)
     */
    private <K, V> void loadAndStore(List<Pending> toLoad,
            Load<K, V> loader,
            Map<Object, @Nullable Object> values, boolean ifAbsent) {
        if (toLoad.isEmpty()) {
            return;
        }
        Set<K> keySet = keysOf(toLoad);
        long start = System.nanoTime();
        Map<? extends K, ? extends V> loaded;
        try {
            loaded = loader.function().apply(keySet);
        }
        catch (RuntimeException ex) {
            statistics.loadFailures.add(toLoad.size());
            bulkStore.release(toLoad);
            serveStaleOrThrow(toLoad, keySet, ex, values);
            return;
        }
        catch (Error error) {
            bulkStore.release(toLoad);
            throw error;
        }
        long elapsed = System.nanoTime() - start;
        statistics.loads.add(toLoad.size());
        statistics.loadNanos.add(elapsed);
        int loadMillis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(elapsed));
        Map<? extends K, ? extends V> result = (loaded != null) ? loaded : Map.of();
        bulkStore.store(toLoad, result, loadMillis, ifAbsent, values, loader.keeps());
    }

    private void serveStaleOrThrow(List<Pending> toLoad, Set<?> keySet, RuntimeException failure,
            Map<Object, @Nullable Object> values) {
        for (Pending key : toLoad) {
            if (!failSafe.isServable(key.stale)) {
                throw new ValueRetrievalException(keySet, () -> null, failure);
            }
        }
        for (Pending key : toLoad) {
            values.put(key.key.key(), failSafe.serve(key.key, Objects.requireNonNull(key.stale), key.ticket,
                    "its loader failed: " + failure));
        }
    }

    /** One call's loader, and which of its values may be cached. */
    private record Load<K, V>(Function<? super Set<K>, ? extends @Nullable Map<? extends K, ? extends V>> function,
            @Nullable BiPredicate<? super K, ? super V> keeps) {
    }

    @SuppressWarnings("unchecked")
    private static <K> Set<K> keysOf(List<Pending> keys) {
        Set<K> set = new LinkedHashSet<>();
        for (Pending key : keys) {
            set.add((K) key.key.key());
        }
        return Collections.unmodifiableSet(set);
    }

    private static void unwatch(Leases coordinator, Pending key) {
        CompletableFuture<Void> signal = key.signal;
        if (signal != null) {
            coordinator.unwatch(key.key.redisKey(), signal);
            key.signal = null;
        }
    }
}
