package io.github.multitiercache.core;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.Leases;
import io.github.multitiercache.core.stampede.Leases.Acquisition;
import io.github.multitiercache.core.stampede.LoadWaitTimeoutException;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.jspecify.annotations.Nullable;

/**
 * The asynchronous loads of one {@link TieredCache} ({@code retrieve(key, loader)}: methods that
 * return a {@code CompletableFuture} or a {@code Mono}): the same protocol as {@link Loader}, without
 * parking a thread anywhere.
 *
 * <p>A load runs once per key in this JVM ({@link SingleFlight}) and, with {@code stampede.enabled},
 * once across the instances: the lease is taken with one asynchronous script call; a waiter registers
 * for the "loaded" notice and is woken by it, or by a timer after a backoff (5 ms doubling to 100 ms),
 * and asks again, until {@code stampede.max-wait}; the owner's value is written only while the lease
 * holds its token, and a failed load releases the lease so that a waiter takes over. Fail-safe serves
 * an expired value when the loader fails, outlasts {@code fail-safe.soft-timeout}, or a wait outlasts
 * {@code fail-safe.hard-timeout}; refresh-ahead reloads a value close to its expiry through
 * {@link #refresh}. Continuations run on the cache's executor, never on a Redis I/O thread, so the
 * loader is started there too.
 */
final class AsyncLoader {

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
    private final SingleFlight flights;
    private final Executor executor;
    private final Delays delays;
    private final @Nullable Leases coordinator;
    private final CacheStatistics statistics;
    private final StampedeStatistics stampedeStatistics;
    private final LogThrottle warnings;
    // Lease waits and load timeouts: the context's ticker, so that tests can drive them with a fake clock.
    private final LongSupplier nanoClock;

    AsyncLoader(LoadParts parts) {
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
        this.delays = parts.delays();
        this.coordinator = parts.shared().coordinator();
        this.statistics = parts.statistics();
        this.stampedeStatistics = parts.stampedeStatistics();
        this.warnings = parts.warnings();
        this.nanoClock = parts.nanoClock();
    }

    /**
     * Loads a key missing from both tiers and caches its value, without blocking: concurrent callers
     * for the key in this JVM share one load, and with {@code stampede.enabled} so do those of every
     * instance.
     * @param stale the expired entry read from Redis, if any, for fail-safe
     * @return a future of the value
     */
    <T> CompletableFuture<T> loadMissing(CacheKey key, Supplier<CompletableFuture<T>> loader,
            @Nullable StoredEntry stale) {
        return flights.executeAsync(key.key(), () -> loadAndStore(key, loader, stale));
    }

    /**
     * Loads a key without a stable text form, once per key in this JVM, into L1 only.
     * @return a future of the value
     */
    <T> CompletableFuture<T> loadLocal(CacheKey key, Supplier<CompletableFuture<T>> loader) {
        return flights.executeAsync(key.key(), () -> load(loader, unlocked(key, fills.ticket(key.text()))));
    }

    /**
     * Reloads a key read from Redis in the background, under the lease, when no other instance holds
     * it; a failure is counted and logged.
     * @param entry the entry read, whose expiry the lease is taken against
     * @return completes when the refresh ended, never exceptionally
     */
    CompletableFuture<?> refresh(CacheKey key, StoredEntry entry, Supplier<? extends CompletableFuture<?>> loader) {
        Leases coordinator = this.coordinator;
        byte[] lockKey = (coordinator != null) ? coordinator.lockKey(key.redisKey()) : null;
        if (coordinator == null || lockKey == null) {
            return CompletableFuture.completedFuture(null);
        }
        long ticket = fills.ticket(key.text());
        return coordinator.acquireAsync(key.redisKey(), lockKey, settings.stampede().lease().toMillis(), expiry.now(),
                entry.expiresAtEpochMillis()).thenComposeAsync(attempt -> {
                    if (attempt.state() != Acquisition.State.ACQUIRED) {
                        if (attempt.state() == Acquisition.State.HELD) {
                            stampedeStatistics.onRefreshSkipped();
                        }
                        return CompletableFuture.completedFuture(null);
                    }
                    stampedeStatistics.onRefresh();
                    byte[] token = Objects.requireNonNull(attempt.token());
                    return load(loader, owner(key, lockKey, token, ticket))
                            .handle((value, error) -> {
                                if (error != null) {
                                    stampedeStatistics.onRefreshFailure();
                                    warnings.warn("Cache '" + name + "': refreshing key '" + key.text() + "' failed;"
                                            + " the current value is served until it expires: " + unwrap(error));
                                }
                                return null;
                            });
                }, executor);
    }

    private <T> CompletableFuture<T> loadAndStore(CacheKey key, Supplier<CompletableFuture<T>> loader,
            @Nullable StoredEntry stale) {
        // Another leader may have filled L1 between our miss and our turn.
        L1Entry current = near.servable(key.key());
        if (current != null) {
            @SuppressWarnings("unchecked")
            T value = (T) current.get();
            return CompletableFuture.completedFuture(value);
        }
        long ticket = fills.ticket(key.text());
        long startNanos = nanoClock.getAsLong();
        Leases coordinator = this.coordinator;
        boolean locking = coordinator != null && settings.stampede().enabled();
        byte[] lockKey = (coordinator != null && locking) ? coordinator.lockKey(key.redisKey()) : null;
        CompletableFuture<T> loading;
        if (coordinator == null || lockKey == null) {
            if (locking) {
                stampedeStatistics.onLockBypass();
            }
            loading = load(loader, unlocked(key, ticket));
        }
        else {
            loading = new LeaseWait<>(key, loader, coordinator, lockKey, ticket, startNanos, stale).attempt();
        }
        return withFailSafe(key, loading, stale, ticket, startNanos);
    }

    /**
     * Starts the loader and hands its value to the sink; the future completes with the value once
     * the sink has stored it (so that the value is in Redis when the callers see it).
     */
    private <T> CompletableFuture<T> load(Supplier<? extends CompletableFuture<? extends T>> loader, AsyncSink sink) {
        long start = System.nanoTime();
        CompletableFuture<? extends T> loading;
        try {
            loading = Objects.requireNonNull(loader.get(), "the loader returned no future");
        }
        catch (RuntimeException ex) {
            return failed(sink, ex);
        }
        return loading.handle((value, error) -> {
            if (error != null) {
                return this.<T>failed(sink, unwrap(error));
            }
            long elapsed = System.nanoTime() - start;
            statistics.loads.increment();
            statistics.loadNanos.add(elapsed);
            int millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(elapsed));
            return sink.loaded(value, millis).handle((stored, storeError) -> (T) value);
        }).thenCompose(next -> next);
    }

    /** A failed load: counted, and reported to the callers once the sink has dealt with it (a lease released). */
    private <T> CompletableFuture<T> failed(AsyncSink sink, Throwable error) {
        statistics.loadFailures.increment();
        return sink.failed().handle((released, releaseError) -> null).thenCompose(ignored ->
                CompletableFuture.failedFuture(error));
    }

    /** Where a loaded value goes; each step completes once Redis has it (or is known not to). */
    private interface AsyncSink {

        CompletableFuture<?> loaded(@Nullable Object value, int loadMillis);

        /** The load failed. */
        default CompletableFuture<?> failed() {
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Without the lease: written to both tiers, the write to Redis not awaited. */
    private AsyncSink unlocked(CacheKey key, long ticket) {
        return (value, millis) -> {
            store.storeAsync(key, value, millis, ticket);
            return CompletableFuture.completedFuture(null);
        };
    }

    /** As the lease's owner: written to Redis only while the lease holds the token, then to L1. */
    private AsyncSink owner(CacheKey key, byte[] lockKey, byte[] token, long ticket) {
        Leases coordinator = Objects.requireNonNull(this.coordinator);
        return new AsyncSink() {
            @Override
            public CompletableFuture<?> loaded(@Nullable Object value, int millis) {
                Store.Storing storing = store.storing(key, value, millis);
                byte[] bytes = (storing != null) ? storing.bytes() : null;
                if (storing == null || bytes == null) {
                    if (storing != null) {
                        storing.fillL1(ticket);
                    }
                    return failed();
                }
                return coordinator.storeAsync(key.redisKey(), lockKey, token, bytes, storing.physicalTtlMillis())
                        .thenAccept(written -> {
                            if (written) {
                                storing.writtenAsync();
                                storing.fillL1(ticket);
                            }
                            else {
                                outcomes.notCached(key);
                            }
                        });
            }

            /** Releases the lease, so that a waiter takes over at once. */
            @Override
            public CompletableFuture<?> failed() {
                return coordinator.releaseAsync(key.redisKey(), lockKey, token);
            }
        };
    }

    /**
     * After a timed-out wait: written to Redis only if the key is still absent there. The check
     * and write run on the executor (one round trip), the one step of this class that blocks a thread.
     */
    private AsyncSink absent(CacheKey key, long ticket) {
        return (value, millis) -> {
            try {
                return CompletableFuture.runAsync(() -> {
                    Store.Storing storing = store.storing(key, value, millis);
                    if (storing == null) {
                        return;
                    }
                    byte[] bytes = storing.bytes();
                    var result = (bytes != null) ? shared.writeIfAbsent(key, bytes, storing.physicalTtlMillis(), false)
                            : null;
                    if (result != null && result.stored()) {
                        storing.written();
                    }
                    if (result == null || result.stored() || result.failed()) {
                        storing.fillL1(ticket);
                    }
                }, executor);
            }
            catch (RejectedExecutionException ex) {
                return CompletableFuture.completedFuture(null);
            }
        };
    }

    /**
     * Fail-safe around a load: an expired value served in place of a failure or a load slower than
     * {@code fail-safe.soft-timeout}; a failure after {@code fail-safe.hard-timeout}. The load goes on
     * in the background and is cached when it completes.
     */
    private <T> CompletableFuture<T> withFailSafe(CacheKey key, CompletableFuture<T> loading,
            @Nullable StoredEntry stale, long ticket, long startNanos) {
        FailSafeSettings timeouts = settings.failSafe();
        CompletableFuture<T> result = loading.exceptionallyCompose(error -> failSafe.isServable(stale)
                ? CompletableFuture.completedFuture(failSafe.serve(key, Objects.requireNonNull(stale), ticket,
                        "its loader failed: " + unwrap(error)))
                : CompletableFuture.failedFuture(unwrap(error)));
        if (result.isDone()) {
            return result;
        }
        if (timeouts.enabled() && !timeouts.softTimeout().isZero() && stale != null && failSafe.isServable(stale)) {
            CompletableFuture<T> first = new CompletableFuture<>();
            after(timeouts.softTimeout().toNanos() - (nanoClock.getAsLong() - startNanos), () -> {
                if (!first.isDone()) {
                    // Counted before the callers see the value.
                    stampedeStatistics.onSoftTimeout();
                    first.complete(failSafe.serve(key, stale, ticket, "its load took longer than"
                            + " fail-safe.soft-timeout (" + timeouts.softTimeout() + ")"));
                }
            });
            result.whenComplete((value, error) -> complete(first, value, error));
            return first;
        }
        if (!timeouts.hardTimeout().isZero()) {
            CompletableFuture<T> bounded = new CompletableFuture<>();
            after(timeouts.hardTimeout().toNanos() - (nanoClock.getAsLong() - startNanos), () -> {
                if (!bounded.isDone()) {
                    stampedeStatistics.onHardTimeout();
                    bounded.completeExceptionally(new LoadWaitTimeoutException("key '" + key.text() + "' of cache '"
                            + name + "' (fail-safe.hard-timeout)", timeouts.hardTimeout()));
                }
            });
            result.whenComplete((value, error) -> complete(bounded, value, error));
            return bounded;
        }
        return result;
    }

    private void after(long nanos, Runnable action) {
        try {
            delays.after(nanos, action);
        }
        catch (RejectedExecutionException ex) {
            // Shutting down: the load's own outcome completes the caller.
        }
    }

    private static <T> void complete(CompletableFuture<T> target, @Nullable T value, @Nullable Throwable error) {
        if (error != null) {
            target.completeExceptionally(error);
        }
        else {
            target.complete(value);
        }
    }

    private static Throwable unwrap(Throwable error) {
        return (error instanceof CompletionException && error.getCause() != null) ? error.getCause() : error;
    }

    /** One caller's turn at the lease, as a chain of asynchronous steps instead of a blocked loop. */
    private final class LeaseWait<T> {

        private final CacheKey key;
        private final Supplier<CompletableFuture<T>> loader;
        private final Leases coordinator;
        private final byte[] lockKey;
        private final long ticket;
        private final long startNanos;
        private final long deadline;
        private final boolean hardBound;
        private @Nullable StoredEntry stale;
        private CompletableFuture<Void> signal;
        private boolean waited;
        private long backoff;

        LeaseWait(CacheKey key, Supplier<CompletableFuture<T>> loader, Leases coordinator, byte[] lockKey,
                long ticket, long startNanos, @Nullable StoredEntry stale) {
            this.key = key;
            this.loader = loader;
            this.coordinator = coordinator;
            this.lockKey = lockKey;
            this.ticket = ticket;
            this.startNanos = startNanos;
            this.stale = stale;
            long waitNanos = settings.stampede().maxWait().toNanos();
            long hardNanos = settings.failSafe().hardTimeout().toNanos();
            this.hardBound = hardNanos > 0 && hardNanos < waitNanos;
            this.deadline = startNanos + (hardBound ? hardNanos : waitNanos);
            // Registered before the first attempt, so that a notice sent in between is not missed.
            this.signal = coordinator.watch(key.redisKey());
        }

        CompletableFuture<T> attempt() {
            return coordinator.acquireAsync(key.redisKey(), lockKey, settings.stampede().lease().toMillis(),
                    expiry.now(), null).thenComposeAsync(this::decide, executor);
        }

        private CompletableFuture<T> decide(Acquisition attempt) {
            switch (attempt.state()) {
                case PRESENT -> {
                    done();
                    StoredEntry entry = codec.decode(key.text(), Objects.requireNonNull(attempt.value()));
                    if (waited) {
                        stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, entry != null);
                    }
                    if (entry == null) {
                        stampedeStatistics.onLockBypass();
                        return load(loader, unlocked(key, ticket));
                    }
                    near.fill(key, entry.value(), entry.tags(), entry.remainingMillis(expiry.now()), ticket);
                    @SuppressWarnings("unchecked")
                    T value = (T) entry.value();
                    return CompletableFuture.completedFuture(value);
                }
                case ACQUIRED -> {
                    done();
                    if (waited) {
                        stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, false);
                        stampedeStatistics.onTakeover();
                    }
                    byte[] token = Objects.requireNonNull(attempt.token());
                    return load(loader, owner(key, lockKey, token, ticket));
                }
                case HELD -> {
                    byte[] held = attempt.value();
                    if (stale == null && held != null && settings.failSafe().enabled()) {
                        stale = codec.decode(key.text(), held);
                    }
                    if (!waited) {
                        waited = true;
                        stampedeStatistics.onLockWait();
                    }
                    long left = deadline - nanoClock.getAsLong();
                    if (left <= 0) {
                        done();
                        stampedeStatistics.onWaitEnded(nanoClock.getAsLong() - startNanos, false);
                        return timedOut();
                    }
                    backoff = Leases.nextBackoff(backoff);
                    return coordinator.awaitAsync(signal, Math.min(backoff, left), executor).thenCompose(fired -> {
                        if (fired) {
                            signal = coordinator.watch(key.redisKey());
                        }
                        return attempt();
                    });
                }
                default -> {
                    done();
                    stampedeStatistics.onLockBypass();
                    return load(loader, unlocked(key, ticket));
                }
            }
        }

        private CompletableFuture<T> timedOut() {
            StoredEntry stale = this.stale;
            LeaseOutcomes.WaitTimedOut outcome = outcomes.waitTimedOut(key, hardBound, stale);
            String staleReason = outcome.staleReason();
            if (staleReason != null) {
                return CompletableFuture.completedFuture(failSafe.serve(key, Objects.requireNonNull(stale), ticket,
                        staleReason));
            }
            LoadWaitTimeoutException failure = outcome.failure();
            return (failure != null) ? CompletableFuture.failedFuture(failure)
                    : load(loader, absent(key, ticket));
        }

        private void done() {
            coordinator.unwatch(key.redisKey(), signal);
        }
    }
}
