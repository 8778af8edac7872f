package io.github.multitiercache.autoconfigure.metrics;

import io.github.multitiercache.core.TieredCache;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * The sizes of bulk reads ({@code getAll}, {@code @CacheableAll}). Their keys are counted by the
 * other meters as single reads are; this adds how many keys each bulk read asked for.
 */
enum BulkReadMeters implements MultiTierCacheMeterContributor {

    INSTANCE;

    static final String BULK_SIZE = "multitier.cache.bulk.size";

    @Override
    public void bindTo(TieredCache cache, Tags tags, MeterRegistry registry) {
        DistributionSummary sizes = DistributionSummary.builder(BULK_SIZE)
                .tags(tags)
                .baseUnit("keys")
                .description("Keys asked for by each bulk read, duplicates once")
                .register(registry);
        cache.statistics().onBulkRead(sizes::record);
    }
}
