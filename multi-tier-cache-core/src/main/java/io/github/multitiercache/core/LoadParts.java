package io.github.multitiercache.core;

import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.stampede.StampedeStatistics;

/**
 * What the loaders of one cache ({@link Loader}, {@link AsyncLoader}, {@link BulkLoader}) work with:
 * the cache's collaborators and counters, assembled once by the {@link TieredCache} that owns them.
 *
 * @param name the cache name
 * @param settings its settings
 * @param keys its key space
 * @param expiry its TTLs
 * @param fills its fill guard
 * @param near its L1
 * @param shared its Redis tier, whose {@linkplain SharedTier#coordinator() coordinator} holds the leases
 * @param reads its L1 probe and the serving of entries read from Redis
 * @param codec its codec
 * @param hotKeys its hot keys
 * @param store the sequence by which values enter its tiers
 * @param failSafe serves expired values when a load fails or is slow
 * @param outcomes what a load does when the lease does not go its way
 * @param flights single flight per key in this JVM, shared by the blocking and asynchronous loads
 * @param executor runs background loads and continuations
 * @param delays runs timeouts
 * @param statistics the cache's counts
 * @param stampedeStatistics the counts of stampede protection, refresh-ahead and fail-safe
 * @param warnings the cache's throttled warnings
 * @param nanoClock monotonic time, for waits and timeouts
 */
record LoadParts(String name, CacheSettings settings, KeySpace keys, ExpiryPolicy expiry, FillGuard fills,
        NearTier near, SharedTier shared, TierReads reads, SafeCodec codec, HotKeys hotKeys, Store store, FailSafe failSafe,
        LeaseOutcomes outcomes, SingleFlight flights, Executor executor, Delays delays, CacheStatistics statistics,
        StampedeStatistics stampedeStatistics, LogThrottle warnings, LongSupplier nanoClock) {
}
