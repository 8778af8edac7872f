package io.github.multitiercache.core;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * Per-key single flight inside one JVM: while a load of a key is under way, further callers for
 * the same key wait for its result instead of loading again.
 *
 * <p>The first caller (the leader) runs the load on its own thread; followers block until it
 * completes and receive the same value or the same failure. A load that asks for its own key
 * again is refused instead of deadlocking.
 */
public final class SingleFlight {

    private final ConcurrentMap<Object, Flight> flights = new ConcurrentHashMap<>();

    /**
     * Runs {@code load} unless a load of {@code key} is under way, in which case waits for it.
     * @param key the key
     * @param load the load, run by the leader
     * @param <T> the value type
     * @return the loaded value
     * @throws Exception what the load threw, for the leader and every follower
     */
    @SuppressWarnings("unchecked")
    public <T> @Nullable T execute(Object key, Callable<T> load) throws Exception {
        Flight mine = new Flight(Thread.currentThread());
        Flight existing = flights.putIfAbsent(key, mine);
        if (existing != null) {
            if (existing.leader == Thread.currentThread()) {
                throw new IllegalStateException("Recursive load of key '" + key + "'");
            }
            try {
                return (T) existing.result.get();
            }
            catch (ExecutionException ex) {
                throw rethrowable(ex.getCause());
            }
        }
        try {
            T value = load.call();
            mine.result.complete(value);
            return value;
        }
        catch (Throwable ex) {
            mine.result.completeExceptionally(ex);
            throw ex;
        }
        finally {
            flights.remove(key, mine);
        }
    }

    /**
     * Starts {@code load} unless an asynchronous load of {@code key} is under way, in which case
     * returns that load's future.
     * @param key the key
     * @param load starts the load
     * @param <T> the value type
     * @return the shared future
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> executeAsync(Object key, Supplier<CompletableFuture<T>> load) {
        Flight mine = new Flight(null);
        Flight existing = flights.putIfAbsent(key, mine);
        if (existing != null) {
            return (CompletableFuture<T>) existing.result.thenApply(value -> value);
        }
        CompletableFuture<T> started;
        try {
            started = load.get();
        }
        catch (RuntimeException ex) {
            started = CompletableFuture.failedFuture(ex);
        }
        started.whenComplete((value, error) -> {
            flights.remove(key, mine);
            if (error != null) {
                mine.result.completeExceptionally(error);
            }
            else {
                mine.result.complete(value);
            }
        });
        return (CompletableFuture<T>) mine.result.thenApply(value -> value);
    }

    /**
     * The number of loads under way.
     * @return the count
     */
    public int inFlight() {
        return flights.size();
    }

    private static Exception rethrowable(@Nullable Throwable cause) {
        if (cause instanceof Exception ex) {
            return ex;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IllegalStateException(cause);
    }

    private static final class Flight {

        final @Nullable Thread leader;
        final CompletableFuture<Object> result = new CompletableFuture<>();

        Flight(@Nullable Thread leader) {
            this.leader = leader;
        }
    }
}
