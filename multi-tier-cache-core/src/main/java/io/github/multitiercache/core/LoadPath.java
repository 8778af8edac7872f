package io.github.multitiercache.core;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.BlockingCalls;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.LoadCoordinator;
import io.github.multitiercache.core.stampede.LoadCoordinator.Acquisition;
import io.github.multitiercache.core.stampede.LoadWaitTimeoutException;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueRetrievalException;

/**
 * The load path of one {@link TieredCache}: what runs when a key is missing from both tiers, and
 * the background refresh of a key read from Redis.
 *
 * <p>A load runs once per key in this JVM ({@link SingleFlight}). When the cache is coordinated and
 * {@code stampede.enabled}, it also runs once across the instances: the lease loop of
 * {@link LoadCoordinator}, bounded by {@code stampede.max-wait} (or a shorter
 * {@code fail-safe.hard-timeout}), with {@code stampede.on-timeout} deciding what a timed-out wait
 * does. Fail-safe serves an expired entry when the loader fails or outlasts
 * {@code fail-safe.soft-timeout}; refresh-ahead reloads a key close to its expiry in the
 * background, under the same lease. The asynchronous loads of
 * {@link TieredCache#retrieve(Object, Supplier)} use the in-JVM single flight only.
 *
 * <p>It owns the single flight, the keys being refreshed and the use of the coordinator; it counts
 * loads in the cache's {@link CacheStatistics} and stampede events in its
 * {@link StampedeStatistics}. Everything about the tiers (fill tickets, the codec, Redis keys and
 * writes, L1 fills, TTLs) it asks of its cache through {@link Tiers}, so that the rules for what
 * enters L1 or Redis, and when other instances are told, stay in {@link TieredCache}.
 */
final class LoadPath {

    // The messages are about the cache, and stay in the category that operators configure for it.
    private static final Log logger = LogFactory.getLog(TieredCache.class);
    /** How long a stale value served by fail-safe stays in L1 before the loader is tried again. */
    private static final long STALE_L1_TTL_MILLIS = 1000;

    /** What the load path uses of its cache's tiers. */
    interface Tiers {

        /**
         * Taken before a value is read or loaded, so that it enters L1 only if nothing invalidated
         * the key meanwhile.
         * @param text the key's text form
         * @return the ticket to hand to the L1 fills
         */
        long fillTicket(String text);

        /**
         * @param text the key's text form
         * @return the key's Redis key
         */
        byte[] redisKey(String text);

        /**
         * Decodes an entry read from Redis; bytes that cannot be decoded are counted, logged, and a miss.
         * @param text the key's text form, for the warning
         * @param bytes the bytes read
         * @return the entry, or {@code null}
         */
        @Nullable StoredEntry decode(String text, byte[] bytes);

        /**
         * The key's L1 entry, unless the guard dropped it; counts nothing.
         * @param key the key
         * @return the entry, or {@code null}
         */
        @Nullable L1Entry currentL1(Object key);

        /**
         * Puts a value read from Redis into L1 for its L1 TTL (or a hot key's), never beyond
         * {@code limitMillis}, unless the key was invalidated since {@code ticket}.
         * @return the entry put, or {@code null}
         */
        @Nullable L1Entry fillL1(Object key, String text, @Nullable Object value, long limitMillis, long ticket);

        /**
         * Puts a value into L1 for exactly {@code ttlMillis} (capped by the guard), unless the key was
         * invalidated since {@code ticket}.
         * @return the entry put, or {@code null}
         */
        @Nullable L1Entry putL1(Object key, String text, @Nullable Object value, long ttlMillis, long ticket);

        /**
         * @param nullValue whether the value is a cached null
         * @return a jittered L1 TTL, in milliseconds
         */
        long l1TtlMillis(boolean nullValue);

        /**
         * Stores a value loaded without the lease in Redis, then L1; tells no other instance.
         * @param loadMillis how long the load took, kept for refresh-ahead
         */
        void storeLoaded(Object key, String text, @Nullable Object value, int loadMillis, long ticket);

        /** As {@link #storeLoaded}, with an asynchronous write to Redis. */
        void storeAsync(Object key, String text, @Nullable Object value, int loadMillis, long ticket);

        /**
         * Writes a value to Redis unless the key is present there; leaves the key's lock alone.
         * @param ttlMillis the physical TTL
         * @return the outcome
         */
        RedisTier.SetIfAbsentResult setIfAbsent(String text, byte[] bytes, long ttlMillis);

        /**
         * Starts storing a loaded value: its TTL, and its entry encoded for Redis (a value that cannot
         * be encoded is counted, logged, and kept in L1 only).
         * @param loadMillis how long the load took, kept for refresh-ahead
         * @return the value on its way, or {@code null} when the cache does not keep it (a null, without
         *         {@code cache-null-values})
         */
        @Nullable Storing storing(Object key, String text, @Nullable Object value, int loadMillis);
    }

    /** A value on its way into the tiers, from {@link Tiers#storing}: what follows its write to Redis. */
    interface Storing {

        /** @return the entry to write to Redis, or {@code null} when it cannot be encoded */
        byte @Nullable [] bytes();

        /** @return the TTL to write it with, fail-safe's stale period included */
        long physicalTtlMillis();

        /** The bytes were written to the key: writes them to its replicas too when the key is hot. */
        void written();

        /**
         * Puts the value into L1, for no longer than its logical TTL in Redis, unless the key was
         * invalidated since {@code ticket}.
         */
        void fillL1(long ticket);
    }

    private final String name;
    private final CacheSettings settings;
    private final TieredCacheContext context;
    private final @Nullable LoadCoordinator coordinator;
    private final CacheStatistics statistics;
    private final StampedeStatistics stampedeStatistics;
    private final LogThrottle warnings;
    private final Tiers tiers;
    private final SingleFlight flights = new SingleFlight();
    private final Set<Object> refreshing = ConcurrentHashMap.newKeySet();

    /**
     * @param name the cache name, for messages
     * @param settings the cache's settings
     * @param context what the cache shares with the other caches of its manager (clock, executor)
     * @param coordinator the cache's lease protocol, {@code null} when it is not coordinated
     * @param statistics where loads and load failures are counted
     * @param stampedeStatistics where lease waits, timeouts, stale serves and refreshes are counted
     * @param warnings the cache's throttled warnings
     * @param tiers the cache's tiers
     */
    LoadPath(String name, CacheSettings settings, TieredCacheContext context, @Nullable LoadCoordinator coordinator,
            CacheStatistics statistics, StampedeStatistics stampedeStatistics, LogThrottle warnings, Tiers tiers) {
        this.name = name;
        this.settings = settings;
        this.context = context;
        this.coordinator = coordinator;
        this.statistics = statistics;
        this.stampedeStatistics = stampedeStatistics;
        this.warnings = warnings;
        this.tiers = tiers;
    }

    /**
     * Loads a key missing from both tiers, caches and returns its value: concurrent callers for the
     * key in this JVM share one load, and with {@code stampede.enabled} so do those of every instance.
     * @param stale the expired entry read from Redis, if any, for fail-safe
     * @param <T> the value type
     * @return the value
     * @throws ValueRetrievalException when the loader throws and no stale value may be served, or
     *         a wait timed out
     */
    <T> @Nullable T loadMissing(Object key, String text, Callable<T> loader, @Nullable StoredEntry stale) {
        try {
            return flights.execute(key, () -> loadAndStore(key, text, loader, stale));
        }
        catch (ValueRetrievalException ex) {
            throw ex;
        }
        catch (Exception ex) {
            throw new ValueRetrievalException(key, loader, ex);
        }
    }

    /**
     * Starts loading a key missing from both tiers and caches its value, without blocking the caller:
     * concurrent callers for the key in this JVM share one load.
     * @param <T> the value type
     * @return a future of the value
     */
    <T> CompletableFuture<T> loadMissingAsync(Object key, String text, Supplier<CompletableFuture<T>> loader) {
        return flights.executeAsync(key, () -> loadAndStoreAsync(key, text, loader));
    }

    /**
     * Loads a key missing from both tiers, once across the instances when the cache is
     * coordinated: see {@link LoadCoordinator} for the protocol.
     * @param stale the expired entry read from Redis, if any, for fail-safe
     */
    private <T> @Nullable T loadAndStore(Object key, String text, Callable<T> loader, @Nullable StoredEntry stale) {
        // Another leader may have filled L1 between our miss and our turn (an entry of an older
        // epoch was dropped by the guard, and must not be served).
        L1Entry current = tiers.currentL1(key);
        if (current != null) {
            @SuppressWarnings("unchecked")
            T value = (T) current.get();
            return value;
        }
        long ticket = tiers.fillTicket(text);
        long startNanos = System.nanoTime();
        byte[] valueKey = tiers.redisKey(text);
        byte[] lockKey = (coordinator != null && settings.stampede().enabled()) ? coordinator.lockKey(valueKey) : null;
        if (coordinator == null || lockKey == null) {
            if (coordinator != null && settings.stampede().enabled()) {
                stampedeStatistics.onLockBypass();
            }
            return load(key, text, loader, stale, startNanos, unlockedSink(key, text, ticket));
        }
        StampedeSettings stampede = settings.stampede();
        long waitNanos = stampede.maxWait().toNanos();
        long hardNanos = settings.failSafe().hardTimeout().toNanos();
        boolean hardBound = hardNanos > 0 && hardNanos < waitNanos;
        long deadline = startNanos + (hardBound ? hardNanos : waitNanos);
        CompletableFuture<Void> signal = coordinator.watch(valueKey);
        boolean waited = false;
        long backoff = 0;
        try {
            while (true) {
                Acquisition attempt = coordinator.acquire(valueKey, lockKey, stampede.lease().toMillis(),
                        context.clock().millis(), null);
                switch (attempt.state()) {
                    case PRESENT -> {
                        StoredEntry entry = tiers.decode(text, Objects.requireNonNull(attempt.value()));
                        if (waited) {
                            stampedeStatistics.onWaitEnded(System.nanoTime() - startNanos, entry != null);
                        }
                        if (entry == null) {
                            stampedeStatistics.onLockBypass();
                            return load(key, text, loader, stale, startNanos, unlockedSink(key, text, ticket));
                        }
                        long remaining = entry.remainingMillis(context.clock().millis());
                        tiers.fillL1(key, text, entry.value(), remaining, ticket);
                        @SuppressWarnings("unchecked")
                        T value = (T) entry.value();
                        return value;
                    }
                    case ACQUIRED -> {
                        if (waited) {
                            stampedeStatistics.onWaitEnded(System.nanoTime() - startNanos, false);
                            stampedeStatistics.onTakeover();
                        }
                        byte[] token = Objects.requireNonNull(attempt.token());
                        return load(key, text, loader, stale, startNanos,
                                ownerSink(key, text, valueKey, lockKey, token, ticket));
                    }
                    case HELD -> {
                        if (stale == null && attempt.value() != null && settings.failSafe().enabled()) {
                            stale = tiers.decode(text, attempt.value());
                        }
                        if (!waited) {
                            waited = true;
                            stampedeStatistics.onLockWait();
                        }
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            stampedeStatistics.onWaitEnded(System.nanoTime() - startNanos, false);
                            return waitTimedOut(key, text, loader, stale, ticket, startNanos, hardBound);
                        }
                        backoff = LoadCoordinator.nextBackoff(backoff);
                        if (coordinator.await(signal, Math.min(backoff, left))) {
                            signal = coordinator.watch(valueKey);
                        }
                    }
                    default -> {
                        stampedeStatistics.onLockBypass();
                        return load(key, text, loader, stale, startNanos, unlockedSink(key, text, ticket));
                    }
                }
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ValueRetrievalException(key, loader, ex);
        }
        finally {
            coordinator.unwatch(valueKey, signal);
        }
    }

    private <T> @Nullable T waitTimedOut(Object key, String text, Callable<T> loader, @Nullable StoredEntry stale,
            long ticket, long startNanos, boolean hardBound) {
        stampedeStatistics.onWaitTimeout();
        StampedeSettings.OnTimeout onTimeout = settings.stampede().onTimeout();
        if (hardBound) {
            stampedeStatistics.onHardTimeout();
            LoadWaitTimeoutException timeout = new LoadWaitTimeoutException("key '" + text + "' of cache '" + name
                    + "' (fail-safe.hard-timeout)", settings.failSafe().hardTimeout());
            return staleOrThrow(key, text, stale, ticket, new ValueRetrievalException(key, loader, timeout));
        }
        if (onTimeout == StampedeSettings.OnTimeout.FAIL) {
            stampedeStatistics.onFallbackFailure();
            throw new ValueRetrievalException(key, loader, new LoadWaitTimeoutException("the load of key '" + text
                    + "' of cache '" + name + "' by another instance", settings.stampede().maxWait()));
        }
        if (onTimeout == StampedeSettings.OnTimeout.STALE && isServable(stale)) {
            return serveStale(key, text, Objects.requireNonNull(stale), ticket, "another instance's load of it"
                    + " took longer than stampede.max-wait");
        }
        stampedeStatistics.onFallbackLoad();
        warnings.warn("Cache '" + name + "': loading key '" + text + "' without the lock: another instance's load"
                + " took longer than stampede.max-wait (" + settings.stampede().maxWait() + ")");
        return load(key, text, loader, stale, startNanos, absentSink(key, text, ticket));
    }

    /**
     * Calls the loader and hands its value to the sink. With a soft or hard timeout the loader
     * runs on the executor, so that the caller can stop waiting while the load completes (and is
     * cached) in the background. With fail-safe, a failure or a soft timeout serves the stale entry.
     */
    private <T> @Nullable T load(Object key, String text, Callable<T> loader, @Nullable StoredEntry stale,
            long startNanos, LoadSink sink) {
        FailSafeSettings failSafe = settings.failSafe();
        if (!failSafe.timesOut()) {
            try {
                return loadNow(key, loader, sink);
            }
            catch (ValueRetrievalException ex) {
                return staleOrThrow(key, text, stale, tiers.fillTicket(text), ex);
            }
        }
        long ticket = tiers.fillTicket(text);
        CompletableFuture<T> task;
        try {
            task = CompletableFuture.supplyAsync(() -> loadNow(key, loader, sink), context.executor());
        }
        catch (RejectedExecutionException ex) {
            task = CompletableFuture.completedFuture(loadNow(key, loader, sink));
        }
        boolean soft = failSafe.enabled() && !failSafe.softTimeout().isZero() && isServable(stale);
        try {
            if (soft) {
                long left = failSafe.softTimeout().toNanos() - (System.nanoTime() - startNanos);
                try {
                    return task.get(Math.max(0, left), TimeUnit.NANOSECONDS);
                }
                catch (TimeoutException ex) {
                    stampedeStatistics.onSoftTimeout();
                    return serveStale(key, text, Objects.requireNonNull(stale), ticket, "its load took longer than"
                            + " fail-safe.soft-timeout (" + failSafe.softTimeout() + ")");
                }
            }
            if (!failSafe.hardTimeout().isZero()) {
                long left = failSafe.hardTimeout().toNanos() - (System.nanoTime() - startNanos);
                try {
                    return task.get(Math.max(0, left), TimeUnit.NANOSECONDS);
                }
                catch (TimeoutException ex) {
                    stampedeStatistics.onHardTimeout();
                    throw new ValueRetrievalException(key, loader, new LoadWaitTimeoutException("key '" + text
                            + "' of cache '" + name + "' (fail-safe.hard-timeout)", failSafe.hardTimeout()));
                }
            }
            return task.get();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ValueRetrievalException(key, loader, ex);
        }
        catch (ExecutionException ex) {
            ValueRetrievalException failure = (ex.getCause() instanceof ValueRetrievalException retrieval) ? retrieval
                    : new ValueRetrievalException(key, loader, ex.getCause());
            return staleOrThrow(key, text, stale, ticket, failure);
        }
    }

    private <T> @Nullable T loadNow(Object key, Callable<T> loader, LoadSink sink) {
        long start = System.nanoTime();
        T value;
        try {
            // On the executor (timeouts, refresh-ahead) the loader may block a fork-join worker.
            value = BlockingCalls.call(loader);
        }
        catch (Exception ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            statistics.loadFailures.increment();
            sink.failed();
            throw new ValueRetrievalException(key, loader, ex);
        }
        catch (Error error) {
            sink.failed();
            throw error;
        }
        long elapsed = System.nanoTime() - start;
        statistics.loads.increment();
        statistics.loadNanos.add(elapsed);
        sink.loaded(value, (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(elapsed)));
        return value;
    }

    private boolean isServable(@Nullable StoredEntry stale) {
        if (stale == null || !settings.failSafe().enabled()) {
            return false;
        }
        long until = stale.expiresAtEpochMillis() + settings.failSafe().maxStale().toMillis();
        return until < 0 || context.clock().millis() < until;
    }

    private <T> @Nullable T staleOrThrow(Object key, String text, @Nullable StoredEntry stale, long ticket,
            ValueRetrievalException failure) {
        if (!isServable(stale)) {
            throw failure;
        }
        Throwable cause = (failure.getCause() != null) ? failure.getCause() : failure;
        return serveStale(key, text, Objects.requireNonNull(stale), ticket, "its loader failed: " + cause);
    }

    @SuppressWarnings("unchecked")
    private <T> @Nullable T serveStale(Object key, String text, StoredEntry stale, long ticket, String reason) {
        stampedeStatistics.onStaleServe();
        long age = context.clock().millis() - stale.expiresAtEpochMillis();
        logger.warn("Cache '" + name + "': serving the value of key '" + text + "' that expired "
                + Math.max(0, age) + "ms ago, because " + reason);
        // Briefly, so that the loader is tried again soon without every call paying for it.
        if (settings.l1Enabled()) {
            tiers.putL1(key, text, stale.value(), Math.min(STALE_L1_TTL_MILLIS, tiers.l1TtlMillis(stale.isNull())),
                    ticket);
        }
        return (T) stale.value();
    }

    /** Starts one background refresh of a key read from Redis when refresh-ahead says it is due. */
    void refreshIfDue(Object key, String text, StoredEntry entry, Callable<?> loader) {
        RefreshSettings refresh = settings.refresh();
        if (refresh.mode() == RefreshSettings.Mode.NONE || coordinator == null) {
            return;
        }
        double random = 1.0 - ThreadLocalRandom.current().nextDouble();
        if (!refresh.isDue(entry.writtenAtEpochMillis(), entry.expiresAtEpochMillis(), entry.loadMillis(),
                context.clock().millis(), random) || !refreshing.add(key)) {
            return;
        }
        try {
            context.executor().execute(() -> {
                try {
                    refresh(key, text, entry, loader);
                }
                finally {
                    refreshing.remove(key);
                }
            });
        }
        catch (RejectedExecutionException ex) {
            refreshing.remove(key);
        }
    }

    private void refresh(Object key, String text, StoredEntry entry, Callable<?> loader) {
        LoadCoordinator coordinator = Objects.requireNonNull(this.coordinator);
        byte[] valueKey = tiers.redisKey(text);
        byte[] lockKey = coordinator.lockKey(valueKey);
        if (lockKey == null) {
            return;
        }
        long ticket = tiers.fillTicket(text);
        Acquisition attempt = coordinator.acquire(valueKey, lockKey, settings.stampede().lease().toMillis(),
                context.clock().millis(), entry.expiresAtEpochMillis());
        if (attempt.state() != Acquisition.State.ACQUIRED) {
            if (attempt.state() == Acquisition.State.HELD) {
                stampedeStatistics.onRefreshSkipped();
            }
            return;
        }
        stampedeStatistics.onRefresh();
        try {
            loadNow(key, loader, ownerSink(key, text, valueKey, lockKey, Objects.requireNonNull(attempt.token()),
                    ticket));
        }
        catch (RuntimeException ex) {
            stampedeStatistics.onRefreshFailure();
            warnings.warn("Cache '" + name + "': refreshing key '" + text + "' failed; the current value is served"
                    + " until it expires: " + ex);
        }
    }

    /** Where a loaded value goes. */
    private interface LoadSink {

        void loaded(@Nullable Object value, int loadMillis);

        void failed();
    }

    /** Without the lock: written to both tiers as before. */
    private LoadSink unlockedSink(Object key, String text, long ticket) {
        return new LoadSink() {
            @Override
            public void loaded(@Nullable Object value, int loadMillis) {
                tiers.storeLoaded(key, text, value, loadMillis, ticket);
            }

            @Override
            public void failed() {
            }
        };
    }

    /** As the lock's owner: written to Redis only while the lock holds the token, then to L1. */
    private LoadSink ownerSink(Object key, String text, byte[] valueKey, byte[] lockKey, byte[] token, long ticket) {
        LoadCoordinator coordinator = Objects.requireNonNull(this.coordinator);
        return new LoadSink() {
            @Override
            public void loaded(@Nullable Object value, int loadMillis) {
                Storing storing = tiers.storing(key, text, value, loadMillis);
                if (storing == null) {
                    coordinator.release(valueKey, lockKey, token);
                    return;
                }
                byte[] bytes = storing.bytes();
                if (bytes == null) {
                    coordinator.release(valueKey, lockKey, token);
                    storing.fillL1(ticket);
                    return;
                }
                // Written only while the lock holds this token; the same step releases the lock.
                if (coordinator.store(valueKey, lockKey, token, bytes, storing.physicalTtlMillis())) {
                    storing.written();
                    storing.fillL1(ticket);
                }
                else {
                    warnings.warn("Cache '" + name + "': the value loaded for key '" + text + "' is not cached: the"
                            + " key was written, evicted or cleared during the load, or its lease ("
                            + settings.stampede().lease() + ") expired");
                }
            }

            @Override
            public void failed() {
                coordinator.release(valueKey, lockKey, token);
            }
        };
    }

    /** After a timed-out wait: written to Redis only if the key is still absent there. */
    private LoadSink absentSink(Object key, String text, long ticket) {
        return new LoadSink() {
            @Override
            public void loaded(@Nullable Object value, int loadMillis) {
                Storing storing = tiers.storing(key, text, value, loadMillis);
                if (storing == null) {
                    return;
                }
                byte[] bytes = storing.bytes();
                RedisTier.SetIfAbsentResult result = (bytes != null)
                        ? tiers.setIfAbsent(text, bytes, storing.physicalTtlMillis()) : null;
                if (result != null && result.stored()) {
                    storing.written();
                }
                // Not when another instance stored its value meanwhile: the next read takes that one.
                if (result == null || result.stored() || result.failed()) {
                    storing.fillL1(ticket);
                }
            }

            @Override
            public void failed() {
            }
        };
    }

    private <T> CompletableFuture<T> loadAndStoreAsync(Object key, String text, Supplier<CompletableFuture<T>> loader) {
        long ticket = tiers.fillTicket(text);
        long start = System.nanoTime();
        CompletableFuture<T> loading;
        try {
            loading = loader.get();
        }
        catch (RuntimeException ex) {
            statistics.loadFailures.increment();
            return CompletableFuture.failedFuture(ex);
        }
        return loading.whenComplete((value, error) -> {
            if (error != null) {
                statistics.loadFailures.increment();
                return;
            }
            long elapsed = System.nanoTime() - start;
            statistics.loads.increment();
            statistics.loadNanos.add(elapsed);
            tiers.storeAsync(key, text, value, (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(elapsed)),
                    ticket);
        });
    }
}
