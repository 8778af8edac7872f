package io.github.multitiercache.core;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
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
     * Claims many keys for one load by the calling thread (a bulk read): each key no load is under
     * way for becomes this caller's to load, and its followers wait until the caller
     * {@linkplain Claim#complete completes} or {@linkplain Claim#fail fails} the claim; the loads
     * under way of the other keys are returned, to be awaited.
     * @param keys the keys
     * @return the claim
     * @throws IllegalStateException when this thread is loading one of the keys already (a loader that
     *         asks for its own keys); nothing is claimed then
     */
    public Claim claimAll(Collection<?> keys) {
        Claim claim = new Claim();
        for (Object key : keys) {
            Flight mine = new Flight(Thread.currentThread());
            Flight existing = flights.putIfAbsent(key, mine);
            if (existing == null) {
                claim.mine.put(key, mine);
            }
            else if (existing.leader == Thread.currentThread()) {
                IllegalStateException recursive = new IllegalStateException("Recursive load of key '" + key + "'");
                claim.fail(recursive);
                throw recursive;
            }
            else {
                claim.others.put(key, existing.result);
            }
        }
        return claim;
    }

    /** The keys one caller of {@link #claimAll} loads, and the loads under way it waits for. */
    public final class Claim {

        private final Map<Object, Flight> mine = new LinkedHashMap<>();
        private final Map<Object, CompletableFuture<@Nullable Object>> others = new LinkedHashMap<>();

        private Claim() {
        }

        /** @return the keys this caller loads */
        public Set<Object> claimed() {
            return Collections.unmodifiableSet(mine.keySet());
        }

        /** @return the keys other loads are under way for, with their results */
        public Map<Object, CompletableFuture<@Nullable Object>> awaited() {
            return Collections.unmodifiableMap(others);
        }

        /**
         * Ends this caller's loads: the followers of each claimed key get its value.
         * @param valueOf the value of a claimed key ({@code null} for none)
         */
        public void complete(Function<Object, @Nullable Object> valueOf) {
            mine.forEach((key, flight) -> {
                flights.remove(key, flight);
                flight.result.complete(valueOf.apply(key));
            });
            mine.clear();
        }

        /**
         * Ends this caller's loads with a failure, which every follower of a claimed key gets.
         * @param error the failure
         */
        public void fail(Throwable error) {
            mine.forEach((key, flight) -> {
                flights.remove(key, flight);
                flight.result.completeExceptionally(error);
            });
            mine.clear();
        }
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
        final CompletableFuture<@Nullable Object> result = new CompletableFuture<>();

        Flight(@Nullable Thread leader) {
            this.leader = leader;
        }
    }
}
