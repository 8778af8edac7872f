package io.github.multitiercache.core;

import java.util.concurrent.Executor;

import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.Leases;
import io.github.multitiercache.core.stampede.LoadCoordinator;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import org.jspecify.annotations.Nullable;

/**
 * Where a cache with L2 on gets its {@link SharedTier} and its {@link Leases}: Redis in production
 * ({@link #redis(RedisTier)}); an in-memory twin with a fake clock in the engine's fast tests.
 */
interface SharedBackend {

    /**
     * @param redis the manager's Redis tier
     * @return the backend over Redis
     */
    static SharedBackend redis(RedisTier redis) {
        return new SharedBackend() {
            @Override
            public Leases leases(String loadedChannel, StampedeStatistics statistics) {
                return new LoadCoordinator(redis, loadedChannel, statistics);
            }

            @Override
            public SharedTier tier(KeySpace keys, SafeCodec codec, HotKeys hotKeys, CacheStatistics statistics,
                    Executor executor, @Nullable Leases leases) {
                return new RedisSharedTier(redis, keys, codec, hotKeys, statistics, executor, leases);
            }

            @Override
            public RedisTier replicaStore() {
                return redis;
            }
        };
    }

    /** @return the lease protocol of a coordinated cache */
    Leases leases(String loadedChannel, StampedeStatistics statistics);

    /** @return the cache's shared tier */
    SharedTier tier(KeySpace keys, SafeCodec codec, HotKeys hotKeys, CacheStatistics statistics, Executor executor,
            @Nullable Leases leases);

    /** @return where hot keys' replicas live, or {@code null} when they are not replicated */
    @Nullable RedisTier replicaStore();
}
