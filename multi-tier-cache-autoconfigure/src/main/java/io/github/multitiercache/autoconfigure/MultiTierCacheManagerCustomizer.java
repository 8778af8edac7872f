package io.github.multitiercache.autoconfigure;

import io.github.multitiercache.spring.MultiTierCacheManager;
import org.springframework.boot.cache.autoconfigure.CacheManagerCustomizer;

/**
 * Adjusts the auto-configured {@link MultiTierCacheManager} before it is used: add cache
 * customizers or creation listeners, rename the startup caches, switch dynamic creation.
 *
 * <p>It is Spring Boot's {@code CacheManagerCustomizer<MultiTierCacheManager>} under a name of its
 * own: the auto-configuration applies every {@link CacheManagerCustomizer} bean whose type argument
 * accepts a {@link MultiTierCacheManager} (this interface, {@code CacheManagerCustomizer<MultiTierCacheManager>}
 * or {@code CacheManagerCustomizer<CacheManager>}), all in one sequence ordered by
 * {@link org.springframework.core.Ordered Ordered} and {@link org.springframework.core.annotation.Order @Order},
 * before the startup caches are created. Customizers typed for another manager are skipped, as in
 * Spring Boot.
 */
@FunctionalInterface
public interface MultiTierCacheManagerCustomizer extends CacheManagerCustomizer<MultiTierCacheManager> {

    /**
     * Adjusts the manager.
     * @param cacheManager the manager
     */
    @Override
    void customize(MultiTierCacheManager cacheManager);
}
