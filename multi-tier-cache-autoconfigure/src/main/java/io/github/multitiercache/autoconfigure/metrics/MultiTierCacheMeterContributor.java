package io.github.multitiercache.autoconfigure.metrics;

import io.github.multitiercache.core.TieredCache;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Registers one group of meters of a cache, next to the standard cache meters. The built-in groups
 * are the per-tier meters and the operation meters (loads, clears, codec errors, bypasses); a bean
 * of this type adds its group to every multi-tier cache, for example:
 * <pre>{@code
 * @Bean
 * MultiTierCacheMeterContributor entryCountContributor() {
 *     return (cache, tags, registry) -> Gauge.builder("multitier.cache.example", cache, c -> 1)
 *             .tags(tags)
 *             .register(registry);
 * }
 * }</pre>
 *
 * <p>Meters should read counts the engine keeps anyway ({@code FunctionCounter}, {@code Gauge},
 * {@code FunctionTimer}) so that the cache's hot path pays nothing for them, and must never use a
 * cache key as a tag.
 */
@FunctionalInterface
public interface MultiTierCacheMeterContributor {

    /**
     * Registers this group's meters of one cache. Called once per cache and registry.
     * @param cache the cache
     * @param tags the cache's tags: {@code cache}, {@code cache.manager} and any added by the
     *        registrar
     * @param registry the registry
     */
    void bindTo(TieredCache cache, Tags tags, MeterRegistry registry);
}
