package io.github.multitiercache.core;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.concurrent.TimeoutException;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.BlockingCalls;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.Leases;
import io.github.multitiercache.core.stampede.Leases.Acquisition;
import io.github.multitiercache.core.stampede.LoadWaitTimeoutException;
import io.github.multitiercache.core.stampede.StampedeSettings;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueRetrievalException;

/**
 * The loads of one {@link TieredCache}: what runs when a key is missing from both tiers.
 *
 * <p>A load runs once per key in this JVM ({@link SingleFlight}). When the cache is coordinated and
 * {@code stampede.enabled}, it also runs once across the instances: the lease loop of
 * {@link Leases}, bounded by {@code stampede.max-wait} (or a shorter
 * {@code fail-safe.hard-timeout}), with {@code stampede.on-timeout} deciding what a timed-out wait
 * does. {@link FailSafe} serves an expired entry when the loader fails or outlasts
 * {@code fail-safe.soft-timeout}; {@link RefreshAhead} reloads a key close to its expiry in the
 * background through {@link #refresh}, under the same lease.
 *
 * <p>It owns the single flight and the use of the coordinator; it counts loads in the cache's
 * {@link CacheStatistics} and stampede events in its {@link StampedeStatistics}. A loaded value
 * enters the tiers through the cache's {@link Store}; the lease owner's token-checked write is the
 * one write it makes itself.
 */
final class Loader {

    private final String name;
    private final CacheSettings settings;
    private final ExpiryPolicy expiry;
    private final FillGuard fills;
    private final NearTier near;
    private final SharedTier shared;
    private final SafeCodec codec;
    private final Store store;
    private final FailSafe failSafe;
    private final LeaseOutcomes outcomes;
    private final Executor executor;
    private final @Nullable Leases coordinator;
    private final CacheStatistics statistics;
    private final StampedeStatistics stampedeStatistics;
    private final LogThrottle warnings;
    // Lease waits and load timeouts: the context's ticker, so that tests can drive them with a fake clock.
    private final LongSupplier nanoClock;
    private final SingleFlight flights;

    Loader(LoadParts parts) {
        this.name = parts.name();
        this.settings = parts.settings();
        this.expiry = parts.expiry();
        this.fills = parts.fills();
        this.near = parts.near();
        this.shared = parts.shared();
        this.codec = parts.codec();
        this.store = parts.store();
        this.failSafe = parts.failSafe();
        this.outcomes = parts.outcomes();
        this.flights = parts.flights();
        this.executor = parts.executor();
        this.coordinator = parts.shared().coordinator();
        this.statistics = parts.statistics();
        this.stampedeStatistics = parts.stampedeStatistics();
        this.warnings = parts.warnings();
        this.nanoClock = parts.nanoClock();
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
    <T> @Nullable T loadMissing(CacheKey key, Callable<T> loader, @Nullable StoredEntry stale) {
        return once(key, loader, () -> loadAndStore(key, loader, stale));
    }

    /**
     * Loads a key without a stable text form, once per key in this JVM, and keeps its value in L1
     * only: such a key cannot be named in Redis or to other instances.
     */
    <T> @Nullable T loadLocal(CacheKey key, Callable<T> loader) {
        return once(key, loader, () -> loadNow(key.key(), loader, unlockedSink(key, fills.ticket(key.text()))));
    }

    /** Runs {@code load} once per key in this JVM, unless the key is in L1 by the time it is this caller's turn. */
    private <T> @Nullable T once(CacheKey key, Callable<T> loader, Callable<T> load) {
        try {
            return flights.execute(key.key(), () -> {
                // Another leader may have filled L1 between our miss and our turn (an entry of an
                // older epoch was dropped by the guard, and must not be served).
                L1Entry current = near.servable(key.key());
                if (current != null) {
                    @SuppressWarnings("unchecked")
                    T value = (T) current.get();
                    return value;
                }
                return load.call();
            });
        }
        catch (ValueRetrievalException ex) {
            throw ex;
        }
        catch (Exception ex) {
            throw new ValueRetrievalException(key.key(), loader, ex);
        }
    }

    /**
     * Loads a key missing from both tiers, once across the instances when the cache is
     * coordinated: see {@link Leases} for the protocol.
     * @param stale the expired entry read from Redis, if any, for fail-safe
     */
    private <T> @Nullable T loadAndStore(CacheKey key, Callable<T> loader, @Nullable StoredEntry stale) {
        long ticket = fills.ticket(key.text());
        long startNanos = nanoClock.getAsLong();
        byte[] valueKey = key.redisKey();
        byte[] lockKey = (coordinator != null && settings.stampede().enabled()) ? coordinator.lockKey(valueKey) : null;
        if (coordinator == null || lockKey == null) {
            if (coordinator != null && settings.stampede().enabled()) {
                stampedeStatistics.onLockBypass();
            }
            return load(key, loader, stale, startNanos, unlockedSink(key, ticket));
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
                        expiry.now(), null);
                switch (attempt.state()) {
                    case PRESENT -> {
                        StoredEntry entry = codec.decode(key.text(), Objects.requireNonNull(attempt.value()));
                        if (waited) {
                            stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, entry != null);
                        }
                        if (entry == null) {
                            stampedeStatistics.onLockBypass();
                            return load(key, loader, stale, startNanos, unlockedSink(key, ticket));
                        }
                        long remaining = entry.remainingMillis(expiry.now());
                        near.fill(key, entry.value(), entry.tags(), remaining, ticket);
                        @SuppressWarnings("unchecked")
                        T value = (T) entry.value();
                        return value;
                    }
                    case ACQUIRED -> {
                        if (waited) {
                            stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, false);
                            stampedeStatistics.onTakeover();
                        }
                        byte[] token = Objects.requireNonNull(attempt.token());
                        return load(key, loader, stale, startNanos,
                                ownerSink(key, lockKey, token, ticket));
                    }
                    case HELD -> {
                        if (stale == null && attempt.value() != null && settings.failSafe().enabled()) {
                            stale = codec.decode(key.text(), attempt.value());
                        }
                        if (!waited) {
                            waited = true;
                            stampedeStatistics.onLockWait();
                        }
                        long left = deadline - nanoClock.getAsLong();
                        if (left <= 0) {
                            stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, false);
                            return waitTimedOut(key, loader, stale, ticket, startNanos, hardBound);
                        }
                        backoff = Leases.nextBackoff(backoff);
                        if (coordinator.await(signal, Math.min(backoff, left))) {
                            signal = coordinator.watch(valueKey);
                        }
                    }
                    default -> {
                        stampedeStatistics.onLockBypass();
                        return load(key, loader, stale, startNanos, unlockedSink(key, ticket));
                    }
                }
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ValueRetrievalException(key.key(), loader, ex);
        }
        finally {
            coordinator.unwatch(valueKey, signal);
        }
    }

    private <T> @Nullable T waitTimedOut(CacheKey key, Callable<T> loader, @Nullable StoredEntry stale,
            long ticket, long startNanos, boolean hardBound) {
        LeaseOutcomes.WaitTimedOut outcome = outcomes.waitTimedOut(key, hardBound, stale);
        String staleReason = outcome.staleReason();
        if (staleReason != null) {
            return failSafe.serve(key, Objects.requireNonNull(stale), ticket, staleReason);
        }
        LoadWaitTimeoutException failure = outcome.failure();
        if (failure != null) {
            throw new ValueRetrievalException(key.key(), loader, failure);
        }
        return load(key, loader, stale, startNanos, absentSink(key, ticket));
    }

    /**
     * Calls the loader and hands its value to the sink. With a soft or hard timeout the loader
     * runs on the executor, so that the caller can stop waiting while the load completes (and is
     * cached) in the background. With fail-safe, a failure or a soft timeout serves the stale entry.
     */
    private <T> @Nullable T load(CacheKey key, Callable<T> loader, @Nullable StoredEntry stale,
            long startNanos, LoadSink sink) {
        FailSafeSettings timeouts = settings.failSafe();
        if (!timeouts.timesOut()) {
            try {
                return loadNow(key.key(), loader, sink);
            }
            catch (ValueRetrievalException ex) {
                return failSafe.staleOrThrow(key, stale, fills.ticket(key.text()), ex);
            }
        }
        long ticket = fills.ticket(key.text());
        CompletableFuture<T> task;
        try {
            task = CompletableFuture.supplyAsync(() -> loadNow(key.key(), loader, sink), executor);
        }
        catch (RejectedExecutionException ex) {
            task = CompletableFuture.completedFuture(loadNow(key.key(), loader, sink));
        }
        boolean soft = timeouts.enabled() && !timeouts.softTimeout().isZero() && failSafe.isServable(stale);
        try {
            if (soft) {
                long left = timeouts.softTimeout().toNanos() - (nanoClock.getAsLong() - startNanos);
                try {
                    return task.get(Math.max(0, left), TimeUnit.NANOSECONDS);
                }
                catch (TimeoutException ex) {
                    stampedeStatistics.onSoftTimeout();
                    return failSafe.serve(key, Objects.requireNonNull(stale), ticket, "its load took longer than"
                            + " fail-safe.soft-timeout (" + timeouts.softTimeout() + ")");
                }
            }
            if (!timeouts.hardTimeout().isZero()) {
                long left = timeouts.hardTimeout().toNanos() - (nanoClock.getAsLong() - startNanos);
                try {
                    return task.get(Math.max(0, left), TimeUnit.NANOSECONDS);
                }
                catch (TimeoutException ex) {
                    stampedeStatistics.onHardTimeout();
                    throw new ValueRetrievalException(key.key(), loader, new LoadWaitTimeoutException("key '"
                            + key.text() + "' of cache '" + name + "' (fail-safe.hard-timeout)", timeouts.hardTimeout()));
                }
            }
            return task.get();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ValueRetrievalException(key.key(), loader, ex);
        }
        catch (ExecutionException ex) {
            ValueRetrievalException failure = (ex.getCause() instanceof ValueRetrievalException retrieval) ? retrieval
                    : new ValueRetrievalException(key.key(), loader, ex.getCause());
            return failSafe.staleOrThrow(key, stale, ticket, failure);
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

    /**
     * Reloads a key read from Redis in the background, under the lease, when no other instance holds
     * it: the loaded value replaces the current one only while the lease holds this token. A failure
     * is counted and logged; the current value is served until it expires.
     * @param entry the entry read, whose expiry the lease is taken against
     */
    void refresh(CacheKey key, StoredEntry entry, Callable<?> loader) {
        Leases coordinator = this.coordinator;
        byte[] lockKey = (coordinator != null) ? coordinator.lockKey(key.redisKey()) : null;
        if (coordinator == null || lockKey == null) {
            return;
        }
        long ticket = fills.ticket(key.text());
        Acquisition attempt = coordinator.acquire(key.redisKey(), lockKey, settings.stampede().lease().toMillis(),
                expiry.now(), entry.expiresAtEpochMillis());
        if (attempt.state() != Acquisition.State.ACQUIRED) {
            if (attempt.state() == Acquisition.State.HELD) {
                stampedeStatistics.onRefreshSkipped();
            }
            return;
        }
        stampedeStatistics.onRefresh();
        try {
            loadNow(key.key(), loader, ownerSink(key, lockKey, Objects.requireNonNull(attempt.token()), ticket));
        }
        catch (RuntimeException ex) {
            stampedeStatistics.onRefreshFailure();
            warnings.warn("Cache '" + name + "': refreshing key '" + key.text() + "' failed; the current value is"
                    + " served until it expires: " + ex);
        }
    }

    /** Where a loaded value goes. */
    private interface LoadSink {

        void loaded(@Nullable Object value, int loadMillis);

        void failed();
    }

    /** Without the lock: written to both tiers as before. */
    private LoadSink unlockedSink(CacheKey key, long ticket) {
        return new LoadSink() {
            @Override
            public void loaded(@Nullable Object value, int loadMillis) {
                store.store(key, value, loadMillis, false, ticket);
            }

            @Override
            public void failed() {
            }
        };
    }

    /** As the lock's owner: written to Redis only while the lock holds the token, then to L1. */
    private LoadSink ownerSink(CacheKey key, byte[] lockKey, byte[] token, long ticket) {
        Leases coordinator = Objects.requireNonNull(this.coordinator);
        return new LoadSink() {
            @Override
            public void loaded(@Nullable Object value, int loadMillis) {
                Store.Storing storing = store.storing(key, value, loadMillis);
                if (storing == null) {
                    coordinator.release(key.redisKey(), lockKey, token);
                    return;
                }
                byte[] bytes = storing.bytes();
                if (bytes == null) {
                    coordinator.release(key.redisKey(), lockKey, token);
                    storing.fillL1(ticket);
                    return;
                }
                // Written only while the lock holds this token; the same step releases the lock.
                if (coordinator.store(key.redisKey(), lockKey, token, bytes, storing.physicalTtlMillis())) {
                    storing.written();
                    storing.fillL1(ticket);
                }
                else {
                    outcomes.notCached(key);
                }
            }

            @Override
            public void failed() {
                coordinator.release(key.redisKey(), lockKey, token);
            }
        };
    }

    /** After a timed-out wait: written to Redis only if the key is still absent there. */
    private LoadSink absentSink(CacheKey key, long ticket) {
        return new LoadSink() {
            @Override
            public void loaded(@Nullable Object value, int loadMillis) {
                Store.Storing storing = store.storing(key, value, loadMillis);
                if (storing == null) {
                    return;
                }
                byte[] bytes = storing.bytes();
                RedisTier.SetIfAbsentResult result = (bytes != null)
                        ? shared.writeIfAbsent(key, bytes, storing.physicalTtlMillis(), false) : null;
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
}
