package io.github.multitiercache.core;

import java.time.Duration;
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
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.BulkStore.Pending;
import io.github.multitiercache.core.stampede.BlockingCalls;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.Leases;
import io.github.multitiercache.core.stampede.Leases.Acquisition;
import io.github.multitiercache.core.stampede.LoadWaitTimeoutException;
import io.github.multitiercache.core.stampede.RefreshSettings;
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
 * <li>the keys L1 missed read from Redis at once: with {@code stampede.enabled} and a loader by
 * {@link Leases#acquireAll}, which also takes the leases of the keys without a fresh entry in the
 * same round trip (a key another instance loads is waited for, not loaded again); otherwise, or
 * after a read of this cache that found every key, by {@link SharedTier#readAll} ({@code MGET}),
 * its misses then leased in a round trip of their own;</li>
 * <li>without the lease, each missing key claimed in this JVM's {@link SingleFlight}: a key a
 * single or bulk read of this instance is loading is awaited, not loaded again;</li>
 * <li>the loader called once, with exactly the keys this call has to load;</li>
 * <li>their values written at once, each with its own jittered TTL: token-checked for the keys it
 * leased ({@link Leases#storeAll}), plainly otherwise ({@link SharedTier#writeAll}); a key absent
 * from the loader's map is a {@code null}, cached as one where the cache caches nulls;</li>
 * <li>the keys others were loading read once they land; a lease that expires while waited for is
 * taken over, and its keys loaded by a second call of the loader.</li>
 * </ol>
 * A read that loads thus costs two round trips per Redis node: the read with its leases, and the
 * store. A loader failure releases the leases and serves the keys' expired values when fail-safe
 * has one for every key to load; otherwise it reaches the caller. The fail-safe timeouts bound the
 * loader's call as they bound a single load's, and the keys served from Redis that refresh-ahead
 * finds due are refreshed together in the background. Redis trouble never reaches the caller: the
 * keys are then served from L1 and the loader.
 */
final class BulkLoader {

    /** What a timed load's wait ends with when its timeout, not the load, came first. */
    private static final Object TIMED_OUT = new Object();

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
    private final SingleFlight flights;
    /** The keys a bulk refresh of this cache is under way for in this JVM. */
    private final Set<Object> refreshing = ConcurrentHashMap.newKeySet();
    private final Executor executor;
    private final Delays delays;
    /**
     * Whether the last read of this cache with a loader and the lease found a key Redis did not
     * serve: the next such read then takes the leases as it reads; a run of reads that find every
     * key reads with a plain {@code MGET}. A guess, shared by the threads, that only decides the cost.
     */
    private volatile boolean lastReadMissed = true;

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
        this.flights = parts.flights();
        this.executor = parts.executor();
        this.delays = parts.delays();
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
        Misses missing = new Misses();
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
                missing.toLoad.add(new Pending(cacheKey, fills.ticket(cacheKey.text()), null));
            }
            else {
                remote.add(cacheKey);
            }
        }
        Leases leasing = (loader != null && settings.stampede().enabled()) ? coordinator : null;
        List<Pending> due = new ArrayList<>();
        readShared(remote, values, missing, leasing, (loader != null) ? due : null);
        if (loader != null && !missing.isEmpty()) {
            load(missing, new Load<K, V>(loader, keeps), values);
        }
        if (loader != null && !due.isEmpty()) {
            refreshInBackground(due, new Load<K, V>(loader, keeps));
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

    /**
     * Redis for the keys L1 missed: a live entry fills L1; anything else is missing. With a lease
     * protocol ({@code leasing}) the keys are read by {@link Leases#acquireAll}, which takes the
     * leases of the keys without a fresh entry in the same round trip, unless the last such read of
     * this cache found every key in Redis: then a plain {@code MGET} reads them, cheaper for Redis
     * than the script, and a key it misses is leased in a round trip of its own.
     */
    private void readShared(List<CacheKey> remote, Map<Object, @Nullable Object> values, Misses missing,
            @Nullable Leases leasing, @Nullable List<Pending> due) {
        if (remote.isEmpty()) {
            return;
        }
        List<CacheKey> plain = new ArrayList<>();
        List<Long> plainTickets = new ArrayList<>();
        List<Pending> leased = new ArrayList<>();
        Leases folding = lastReadMissed ? leasing : null;
        for (CacheKey key : remote) {
            long ticket = fills.ticket(key.text());
            byte[] lockKey = (folding != null) ? folding.lockKey(key.redisKey()) : null;
            if (lockKey != null) {
                Pending pending = new Pending(key, ticket, null);
                pending.lockKey = lockKey;
                leased.add(pending);
            }
            else {
                plain.add(key);
                plainTickets.add(ticket);
            }
        }
        int before = missing.size();
        if (!plain.isEmpty()) {
            List<@Nullable StoredEntry> entries = shared.readAll(plain);
            for (int i = 0; i < plain.size(); i++) {
                CacheKey key = plain.get(i);
                long ticket = plainTickets.get(i);
                StoredEntry entry = entries.get(i);
                ValueWrapper hit = reads.served(key, entry, ticket);
                if (hit != null) {
                    values.put(key.key(), hit.get());
                    refreshIfDue(key, Objects.requireNonNull(entry), due);
                }
                else {
                    missing.unleased.add(new Pending(key, ticket, entry));
                }
            }
        }
        if (!leased.isEmpty()) {
            readLeasing(Objects.requireNonNull(leasing), leased, values, missing, due);
        }
        if (leasing != null) {
            lastReadMissed = missing.size() > before;
        }
    }

    /** The keys read with their leases taken at once: served, loaded by this call, or waited for. */
    private void readLeasing(Leases leasing, List<Pending> keys, Map<Object, @Nullable Object> values,
            Misses missing, @Nullable List<Pending> due) {
        List<byte[]> valueKeys = new ArrayList<>(keys.size());
        List<byte[]> lockKeys = new ArrayList<>(keys.size());
        for (Pending key : keys) {
            valueKeys.add(key.key.redisKey());
            lockKeys.add(Objects.requireNonNull(key.lockKey));
        }
        List<Acquisition> attempts = leasing.acquireAll(valueKeys, lockKeys, settings.stampede().lease().toMillis(),
                freshAfter());
        List<Pending> unneeded = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Pending key = keys.get(i);
            Acquisition attempt = attempts.get(i);
            byte[] bytes = attempt.value();
            StoredEntry entry = (bytes == null) ? null
                    : (attempt.state() == Acquisition.State.PRESENT || settings.failSafe().enabled())
                            ? codec.decode(key.key.text(), bytes) : null;
            ValueWrapper hit = reads.served(key.key, entry, key.ticket);
            if (attempt.state() == Acquisition.State.ACQUIRED) {
                key.token = attempt.token();
            }
            if (hit != null) {
                values.put(key.key.key(), hit.get());
                if (key.token != null) {
                    unneeded.add(key);
                }
                else if (entry != null) {
                    refreshIfDue(key.key, entry, due);
                }
                continue;
            }
            key.stale = entry;
            switch (attempt.state()) {
                case ACQUIRED -> missing.toLoad.add(key);
                case HELD -> {
                    key.signal = leasing.watch(key.key.redisKey());
                    stampedeStatistics.onLockWait();
                    missing.held.add(key);
                }
                case UNAVAILABLE -> {
                    stampedeStatistics.onLockBypass();
                    key.lockKey = null;
                    missing.toLoad.add(key);
                }
                // Present but not servable (it cannot be decoded): its lease is tried on its own.
                default -> missing.unleased.add(key);
            }
        }
        bulkStore.release(unneeded);
    }

    /**
     * Notes a key served from Redis for a refresh when refresh-ahead says it is due (as
     * {@link RefreshAhead} does for a single read) and no refresh of it is under way in this JVM.
     */
    private void refreshIfDue(CacheKey key, StoredEntry entry, @Nullable List<Pending> due) {
        RefreshSettings refresh = settings.refresh();
        if (due == null || coordinator == null || refresh.mode() == RefreshSettings.Mode.NONE) {
            return;
        }
        double random = 1.0 - ThreadLocalRandom.current().nextDouble();
        if (refresh.isDue(entry.writtenAtEpochMillis(), entry.expiresAtEpochMillis(), entry.loadMillis(),
                expiry.now(), random) && refreshing.add(key.key())) {
            due.add(new Pending(key, 0, entry));
        }
    }

    /** Starts one background refresh of the keys of a read that are due: see {@link #refresh}. */
    private <K, V> void refreshInBackground(List<Pending> due, Load<K, V> loader) {
        try {
            executor.execute(() -> {
                try {
                    refresh(due, loader);
                }
                finally {
                    due.forEach(key -> refreshing.remove(key.key.key()));
                }
            });
        }
        catch (RejectedExecutionException ex) {
            due.forEach(key -> refreshing.remove(key.key.key()));
        }
    }

    /**
     * Reloads the due keys of one read together: their leases taken pipelined, each only while
     * Redis still holds the entry that was read (a key refreshed or loaded meanwhile, or whose lease
     * another load holds, is skipped), one loader call for the keys leased, and their values stored
     * token-checked in one step. A failure is counted and logged; the current values are served until
     * they expire.
     */
    private <K, V> void refresh(List<Pending> due, Load<K, V> loader) {
        Leases coordinator = Objects.requireNonNull(this.coordinator);
        long leaseMillis = settings.stampede().lease().toMillis();
        List<Pending> keys = new ArrayList<>();
        List<CompletableFuture<Acquisition>> attempts = new ArrayList<>();
        for (Pending key : due) {
            byte[] lockKey = coordinator.lockKey(key.key.redisKey());
            StoredEntry entry = Objects.requireNonNull(key.stale);
            if (lockKey != null) {
                Pending pending = new Pending(key.key, fills.ticket(key.key.text()), null);
                pending.lockKey = lockKey;
                keys.add(pending);
                attempts.add(coordinator.acquireAsync(key.key.redisKey(), lockKey, leaseMillis, expiry.now(),
                        entry.expiresAtEpochMillis()));
            }
        }
        List<Pending> leased = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Acquisition attempt = attempts.get(i).join();
            if (attempt.state() == Acquisition.State.ACQUIRED) {
                keys.get(i).token = attempt.token();
                stampedeStatistics.onRefresh();
                leased.add(keys.get(i));
            }
            else if (attempt.state() == Acquisition.State.HELD) {
                stampedeStatistics.onRefreshSkipped();
            }
        }
        if (leased.isEmpty()) {
            return;
        }
        try {
            loadNow(leased, keysOf(leased), loader, new HashMap<>(), false);
        }
        catch (LoaderFailure ex) {
            for (int i = 0; i < leased.size(); i++) {
                stampedeStatistics.onRefreshFailure();
            }
            warnings.warn("Cache '" + name + "': refreshing " + leased.size() + " keys of a bulk read failed; the"
                    + " current values are served until they expire: " + ex.getCause());
        }
    }

    /**
     * The time before which an entry in Redis is expired for the lease scripts: now with fail-safe,
     * whose expired entries Redis keeps; 0 (any entry present is fresh) without, as for a read.
     */
    private long freshAfter() {
        return settings.failSafe().enabled() ? expiry.now() : 0;
    }

    private void fill(CacheKey key, StoredEntry entry, long ticket, Map<Object, @Nullable Object> values) {
        long remaining = entry.remainingMillis(expiry.now());
        if (remaining > 0) {
            near.fill(key, entry.value(), entry.tags(), remaining, ticket);
        }
        values.put(key.key(), entry.value());
    }

    /** The keys missing from both tiers: leased, loaded and stored, or waited for. */
    private <K, V> void load(Misses missing,
            Load<K, V> loader,
            Map<Object, @Nullable Object> values) {
        Leases coordinator = settings.stampede().enabled() ? this.coordinator : null;
        if (coordinator == null) {
            loadOnce(missing, loader, values);
            return;
        }
        List<Pending> toLoad = new ArrayList<>(missing.toLoad);
        List<Pending> lockable = new ArrayList<>();
        for (Pending key : missing.unleased) {
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
        List<Pending> held = new ArrayList<>(missing.held);
        try {
            if (coordinator != null && !lockable.isEmpty()) {
                held.addAll(acquire(coordinator, lockable, toLoad, values, false, startNanos));
            }
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
     * The keys missing from both tiers of a cache without the lease: each loaded once in this JVM,
     * as by a single read's {@link SingleFlight}. The keys no load is under way for are loaded by this
     * call (unless L1 got them meanwhile); the others are awaited, whether a bulk or a single read
     * is loading them.
     */
    private <K, V> void loadOnce(Misses missing, Load<K, V> loader, Map<Object, @Nullable Object> values) {
        List<Pending> all = new ArrayList<>(missing.toLoad);
        all.addAll(missing.unleased);
        SingleFlight.Claim claim = flights.claimAll(keysOf(all));
        try {
            List<Pending> toLoad = new ArrayList<>();
            for (Pending key : all) {
                if (!claim.claimed().contains(key.key.key())) {
                    continue;
                }
                // Another load may have filled L1 between this call's miss and its claim.
                L1Entry current = near.servable(key.key.key());
                if (current != null) {
                    values.put(key.key.key(), current.get());
                }
                else {
                    toLoad.add(key);
                }
            }
            loadAndStore(toLoad, loader, values, false);
        }
        catch (RuntimeException | Error ex) {
            claim.fail(ex);
            throw ex;
        }
        claim.complete(values::get);
        for (Map.Entry<Object, CompletableFuture<@Nullable Object>> other : claim.awaited().entrySet()) {
            values.put(other.getKey(), awaitFlight(other.getKey(), other.getValue()));
        }
    }

    /** The value another load in this JVM got for a key, or its failure. */
    private static @Nullable Object awaitFlight(Object key, CompletableFuture<@Nullable Object> flight) {
        try {
            return flight.get();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ValueRetrievalException(key, () -> null, ex);
        }
        catch (ExecutionException ex) {
            if (ex.getCause() instanceof ValueRetrievalException failure) {
                throw failure;
            }
            throw new ValueRetrievalException(key, () -> null, (ex.getCause() != null) ? ex.getCause() : ex);
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
                settings.stampede().lease().toMillis(), freshAfter());
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
     * Calls the loader once for {@code toLoad} and stores what it returned. With a
     * {@code fail-safe.soft-timeout} (when every key to load has an expired value to serve) or a
     * {@code fail-safe.hard-timeout}, the loader runs on the executor, so that the caller can stop
     * waiting: served the expired values at the soft timeout, or failed at the hard one, while the
     * load completes, and is stored, in the background; as {@link Loader} does for one key.
     * @param ifAbsent write a value only where Redis holds none (after a wait that ran out)
     */
    private <K, V> void loadAndStore(List<Pending> toLoad,
            Load<K, V> loader,
            Map<Object, @Nullable Object> values, boolean ifAbsent) {
        if (toLoad.isEmpty()) {
            return;
        }
        Set<K> keySet = keysOf(toLoad);
        FailSafeSettings timeouts = settings.failSafe();
        if (!timeouts.timesOut()) {
            try {
                loadNow(toLoad, keySet, loader, values, ifAbsent);
            }
            catch (LoaderFailure ex) {
                serveStaleOrThrow(toLoad, keySet, ex.getCause(), values);
            }
            return;
        }
        long startNanos = nanoClock.getAsLong();
        Supplier<Map<Object, @Nullable Object>> body = () -> {
            Map<Object, @Nullable Object> loaded = new HashMap<>();
            loadNow(toLoad, keySet, loader, loaded, ifAbsent);
            return loaded;
        };
        boolean soft = timeouts.enabled() && !timeouts.softTimeout().isZero()
                && toLoad.stream().allMatch(key -> failSafe.isServable(key.stale));
        Duration limit = soft ? timeouts.softTimeout() : timeouts.hardTimeout();
        CompletableFuture<Object> first = new CompletableFuture<>();
        if (!limit.isZero()) {
            try {
                delays.after(limit.toNanos() - (nanoClock.getAsLong() - startNanos), () -> first.complete(TIMED_OUT));
            }
            catch (RejectedExecutionException ex) {
                // Shutting down: the load's own outcome ends the wait.
            }
        }
        CompletableFuture<Map<Object, @Nullable Object>> task;
        try {
            task = CompletableFuture.supplyAsync(body, executor);
        }
        catch (RejectedExecutionException ex) {
            task = CompletableFuture.completedFuture(body.get());
        }
        task.whenComplete((loaded, error) -> {
            if (error != null) {
                first.completeExceptionally(error);
            }
            else {
                first.complete(loaded);
            }
        });
        Object outcome;
        try {
            outcome = first.get();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ValueRetrievalException(keySet, () -> null, ex);
        }
        catch (ExecutionException ex) {
            Throwable cause = (ex.getCause() instanceof CompletionException wrapped && wrapped.getCause() != null)
                    ? wrapped.getCause() : ex.getCause();
            if (cause instanceof LoaderFailure failure) {
                serveStaleOrThrow(toLoad, keySet, failure.getCause(), values);
                return;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw (cause instanceof RuntimeException runtime) ? runtime : new IllegalStateException(cause);
        }
        if (outcome != TIMED_OUT) {
            @SuppressWarnings("unchecked")
            Map<Object, @Nullable Object> loaded = (Map<Object, @Nullable Object>) outcome;
            values.putAll(loaded);
        }
        else if (soft) {
            stampedeStatistics.onSoftTimeout();
            for (Pending key : toLoad) {
                values.put(key.key.key(), failSafe.serve(key.key, Objects.requireNonNull(key.stale), key.ticket,
                        "its load took longer than fail-safe.soft-timeout (" + timeouts.softTimeout() + ")"));
            }
        }
        else {
            stampedeStatistics.onHardTimeout();
            throw new ValueRetrievalException(keySet, () -> null, new LoadWaitTimeoutException(
                    toLoad.size() + " keys of cache '" + name + "' (fail-safe.hard-timeout)", timeouts.hardTimeout()));
        }
    }

    /**
     * Calls the loader and stores what it returned, recording each value in {@code values}.
     * @throws LoaderFailure with what the loader threw, once the leases of {@code toLoad} are released
     */
    private <K, V> void loadNow(List<Pending> toLoad, Set<K> keySet, Load<K, V> loader,
            Map<Object, @Nullable Object> values, boolean ifAbsent) {
        long start = System.nanoTime();
        Map<? extends K, ? extends V> loaded;
        try {
            // On the executor (timeouts) the loader may block a fork-join worker.
            loaded = BlockingCalls.call(() -> loader.function().apply(keySet));
        }
        catch (Error error) {
            bulkStore.release(toLoad);
            throw error;
        }
        catch (Exception ex) {
            statistics.loadFailures.add(toLoad.size());
            bulkStore.release(toLoad);
            throw new LoaderFailure(ex);
        }
        long elapsed = System.nanoTime() - start;
        statistics.loads.add(toLoad.size());
        statistics.loadNanos.add(elapsed);
        int loadMillis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(elapsed));
        Map<? extends K, ? extends V> result = (loaded != null) ? loaded : Map.of();
        bulkStore.store(toLoad, result, loadMillis, ifAbsent, values, loader.keeps());
    }

    private void serveStaleOrThrow(List<Pending> toLoad, Set<?> keySet, Throwable failure,
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

    /** The keys of one call that Redis did not serve, by what the call does with them. */
    private static final class Misses {

        /** Keys whose lease was not tried: to lease, or to load without one. */
        final List<Pending> unleased = new ArrayList<>();
        /** Keys this call loads: leased by it, or without a lease. */
        final List<Pending> toLoad = new ArrayList<>();
        /** Keys another load holds, watched. */
        final List<Pending> held = new ArrayList<>();
        int size() {
            return unleased.size() + toLoad.size() + held.size();
        }

        boolean isEmpty() {
            return size() == 0;
        }
    }

    /** What the loader of a bulk read threw, told apart from a failure of the cache itself. */
    private static final class LoaderFailure extends RuntimeException {

        private static final long serialVersionUID = 1L;

        LoaderFailure(Exception cause) {
            super(cause);
        }

        @Override
        public synchronized Throwable getCause() {
            return Objects.requireNonNull(super.getCause());
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
