package io.github.multitiercache.spring;

import io.github.multitiercache.core.CacheSettings;

/**
 * Adjusts the settings of single caches in code, after configuration and annotations have been
 * applied. Called once per cache, when the cache is created.
 *
 * <pre>{@code
 * @Bean
 * MultiTierCacheCustomizer longLivedCountries() {
 *     return (name, settings) -> name.equals("countries")
 *             ? settings.toBuilder().l2Ttl(Duration.ofDays(1)).build()
 *             : settings;
 * }
 * }</pre>
 */
@FunctionalInterface
public interface MultiTierCacheCustomizer {

    /**
     * Adjusts one cache's settings.
     * @param cacheName the cache
     * @param settings its settings so far
     * @return the settings to use
     */
    CacheSettings customize(String cacheName, CacheSettings settings);
}
