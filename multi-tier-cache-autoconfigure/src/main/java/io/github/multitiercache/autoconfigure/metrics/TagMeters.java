package io.github.multitiercache.autoconfigure.metrics;

import io.github.multitiercache.core.TagClock;
import io.github.multitiercache.core.TieredCache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Tags: entries not served because one of their tags was evicted (per cache), and tag evictions
 * (per manager: the caches of one manager share one tag clock, so the meter is registered once, by
 * its first cache).
 */
enum TagMeters implements MultiTierCacheMeterContributor {

    INSTANCE;

    static final String DROPS = "multitier.cache.tag.drops";
    static final String EVICTIONS = "multitier.cache.tag.evictions";

    @Override
    public void bindTo(TieredCache cache, Tags tags, MeterRegistry registry) {
        FunctionCounter.builder(DROPS, cache, c -> c.statistics().tagDrops())
                .tags(tags)
                .description("Entries not served (L1 or Redis) because a tag they carry was evicted after they were"
                        + " written")
                .register(registry);
        Tags manager = Tags.of(tags.stream().filter(tag -> tag.getKey().equals("cache.manager")).toList());
        if (registry.find(EVICTIONS).tags(manager).functionCounter() != null) {
            // Registered by another cache of the manager: registering again would be refused with a warning.
            return;
        }
        FunctionCounter.builder(EVICTIONS, cache.tags(), TagClock::evictions)
                .tags(manager)
                .tag("origin", "local")
                .description("Tags evicted by this instance (local) or announced by another instance (remote)")
                .register(registry);
        FunctionCounter.builder(EVICTIONS, cache.tags(), TagClock::evictionsReceived)
                .tags(manager)
                .tag("origin", "remote")
                .description("Tags evicted by this instance (local) or announced by another instance (remote)")
                .register(registry);
    }
}
