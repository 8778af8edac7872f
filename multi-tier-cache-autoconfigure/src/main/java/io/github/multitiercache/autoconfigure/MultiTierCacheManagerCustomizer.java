package io.github.multitiercache.autoconfigure;

import io.github.multitiercache.spring.MultiTierCacheManager;

/**
 * Adjusts the auto-configured {@link MultiTierCacheManager} before it is used: add cache
 * customizers or creation listeners, rename the startup caches, switch dynamic creation.
 */
@FunctionalInterface
public interface MultiTierCacheManagerCustomizer {

    /**
     * Adjusts the manager.
     * @param cacheManager the manager
     */
    void customize(MultiTierCacheManager cacheManager);
}
