package io.github.multitiercache.autoconfigure.metrics;

import java.util.function.ToDoubleFunction;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.l1.L1Tier;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Gets by tier and result, L1 size and L1 evictions by cause. A tier that the cache does not use
 * gets no meters.
 */
enum TierMeters implements MultiTierCacheMeterContributor {

    INSTANCE;

    static final String GETS = "multitier.cache.gets";
    static final String SIZE = "multitier.cache.size";
    static final String EVICTIONS = "multitier.cache.evictions";

    @Override
    public void bindTo(TieredCache cache, Tags tags, MeterRegistry registry) {
        L1Tier l1 = cache.insight().l1();
        if (l1 != null) {
            Tags l1Tags = tags.and("tier", "l1");
            gets(cache, l1Tags, "hit", registry, c -> c.statistics().l1Hits());
            gets(cache, l1Tags, "miss", registry, c -> c.statistics().l1Misses());
            Gauge.builder(SIZE, l1, L1Tier::estimatedSize)
                    .tags(l1Tags)
                    .description("The approximate number of entries in this instance's L1")
                    .register(registry);
            evictions(l1, l1Tags.and("cause", "size"), registry, L1Tier::sizeEvictions);
            evictions(l1, l1Tags.and("cause", "expired"), registry, L1Tier::expirations);
        }
        if (cache.settings().l2Enabled()) {
            Tags l2Tags = tags.and("tier", "l2");
            gets(cache, l2Tags, "hit", registry, c -> c.statistics().l2Hits());
            gets(cache, l2Tags, "miss", registry, c -> c.statistics().l2Misses());
        }
    }

    private static void gets(TieredCache cache, Tags tags, String result, MeterRegistry registry,
            ToDoubleFunction<TieredCache> count) {
        FunctionCounter.builder(GETS, cache, count)
                .tags(tags)
                .tag("result", result)
                .description("Lookups a tier served (hit) or could not serve (miss)")
                .register(registry);
    }

    private static void evictions(L1Tier l1, Tags tags, MeterRegistry registry,
            ToDoubleFunction<L1Tier> count) {
        FunctionCounter.builder(EVICTIONS, l1, count)
                .tags(tags)
                .description("Entries the tier removed on its own, by cause")
                .register(registry);
    }
}
