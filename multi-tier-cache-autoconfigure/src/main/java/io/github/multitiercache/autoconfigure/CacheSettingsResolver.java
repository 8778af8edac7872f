package io.github.multitiercache.autoconfigure;

import java.util.function.Function;

import io.github.multitiercache.annotation.CacheOptionsRegistry;
import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;

/**
 * Gives each cache its settings from four layers, later winning: built-in defaults,
 * {@code multi-tier-cache.defaults}, the cache's {@code @MultiTierCacheable} options, and
 * {@code multi-tier-cache.caches.<name>}.
 */
final class CacheSettingsResolver implements Function<String, CacheSettings> {

    private final CacheSettings defaults;
    private final MultiTierCacheProperties properties;
    private final CacheOptionsRegistry annotations;

    /**
     * @throws IllegalArgumentException when {@code multi-tier-cache.defaults} is invalid
     */
    CacheSettingsResolver(MultiTierCacheProperties properties, CacheOptionsRegistry annotations) {
        this.properties = properties;
        this.annotations = annotations;
        try {
            this.defaults = CacheSettings.defaults().toBuilder()
                    .apply(properties.getDefaults().toOptions("multi-tier-cache.defaults"))
                    .build();
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("Invalid multi-tier-cache.defaults: " + ex.getMessage(), ex);
        }
    }

    @Override
    public CacheSettings apply(String cacheName) {
        MultiTierCacheProperties.CacheSpec spec = properties.getCaches().get(cacheName);
        String path = "multi-tier-cache.caches." + cacheName;
        CacheOptions configured = (spec != null) ? spec.toOptions(path) : CacheOptions.none();
        try {
            return defaults.toBuilder()
                    .apply(annotations.optionsFor(cacheName))
                    .apply(configured)
                    .build();
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(ex.getMessage() + " (check " + path + " and @MultiTierCacheable on"
                    + " methods of this cache)", ex);
        }
    }
}
