package io.github.multitiercache.core;

import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.stampede.RefreshSettings;

/**
 * Refresh-ahead of one cache: a value read from Redis close to its expiry (a fixed threshold, or
 * XFetch's probabilistic early refresh) is reloaded in the background while the current value is
 * served, at most one refresh per key at a time in this JVM and, through the lease, across the
 * fleet ({@link Loader#refresh}). Off for caches without refresh-ahead or without coordination.
 */
final class RefreshAhead {

    private final RefreshSettings settings;
    private final boolean enabled;
    private final Loader loader;
    private final AsyncLoader asyncLoader;
    private final ExpiryPolicy expiry;
    private final Executor executor;
    private final Set<Object> refreshing = ConcurrentHashMap.newKeySet();

    RefreshAhead(RefreshSettings settings, boolean coordinated, Loader loader, AsyncLoader asyncLoader,
            ExpiryPolicy expiry, Executor executor) {
        this.settings = settings;
        this.enabled = coordinated && settings.mode() != RefreshSettings.Mode.NONE;
        this.loader = loader;
        this.asyncLoader = asyncLoader;
        this.expiry = expiry;
        this.executor = executor;
    }

    /** Starts one background refresh of a key read from Redis when refresh-ahead says it is due. */
    void refreshIfDue(CacheKey key, StoredEntry entry, Callable<?> valueLoader) {
        if (isDue(key, entry)) {
            start(key, () -> {
                loader.refresh(key, entry, valueLoader);
                return CompletableFuture.completedFuture(null);
            });
        }
    }

    /** As {@link #refreshIfDue} for an asynchronous loader: no thread waits for the load. */
    void refreshIfDueAsync(CacheKey key, StoredEntry entry, Supplier<? extends CompletableFuture<?>> valueLoader) {
        if (isDue(key, entry)) {
            start(key, () -> asyncLoader.refresh(key, entry, valueLoader));
        }
    }

    /** Whether a refresh is due and none of the key is under way here (which this call then claims). */
    private boolean isDue(CacheKey key, StoredEntry entry) {
        if (!enabled) {
            return false;
        }
        double random = 1.0 - ThreadLocalRandom.current().nextDouble();
        return settings.isDue(entry.writtenAtEpochMillis(), entry.expiresAtEpochMillis(), entry.loadMillis(),
                expiry.now(), random) && refreshing.add(key.key());
    }

    private void start(CacheKey key, Supplier<CompletableFuture<?>> refresh) {
        try {
            executor.execute(() -> {
                CompletableFuture<?> done;
                try {
                    done = refresh.get();
                }
                catch (RuntimeException ex) {
                    refreshing.remove(key.key());
                    throw ex;
                }
                done.whenComplete((ignored, error) -> refreshing.remove(key.key()));
            });
        }
        catch (RejectedExecutionException ex) {
            refreshing.remove(key.key());
        }
    }
}
