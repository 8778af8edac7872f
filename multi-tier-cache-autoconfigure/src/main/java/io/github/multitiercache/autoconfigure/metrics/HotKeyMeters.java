package io.github.multitiercache.autoconfigure.metrics;

import java.util.function.ToDoubleFunction;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.hotkey.HotKeyStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.jspecify.annotations.Nullable;

/**
 * Hot keys: how many keys are hot in this instance (found here, or only announced by another
 * instance), how often keys turn hot and cool down, and how replica reads fare. Registered only for
 * caches that look for hot keys; keys themselves are never tags (the endpoint lists them).
 */
enum HotKeyMeters implements MultiTierCacheMeterContributor {

    INSTANCE;

    static final String KEYS = "multitier.cache.hot.keys";
    static final String PROMOTIONS = "multitier.cache.hot.promotions";
    static final String COOLDOWNS = "multitier.cache.hot.cooldowns";
    static final String REPLICA_READS = "multitier.cache.hot.replica.reads";

    @Override
    public void bindTo(TieredCache cache, Tags tags, MeterRegistry registry) {
        HotKeyStatistics statistics = cache.insight().hotKeyStatistics();
        if (statistics == null) {
            return;
        }
        // Counted without building the hot keys' list, which asks the detector and sorts, at every scrape.
        Gauge.builder(KEYS, cache, c -> c.insight().hotKeyCount(true))
                .tags(tags.and("source", "local"))
                .description("Keys hot in this instance: found hot here (local), or hot only because another"
                        + " instance announced them (announced)")
                .register(registry);
        Gauge.builder(KEYS, cache, c -> c.insight().hotKeyCount(false))
                .tags(tags.and("source", "announced"))
                .register(registry);
        counter(registry, PROMOTIONS, statistics, tags, HotKeyStatistics::promotions,
                "Times a key became hot in this instance");
        counter(registry, COOLDOWNS, statistics, tags, HotKeyStatistics::cooldowns,
                "Times a key stopped being hot in this instance");
        counter(registry, REPLICA_READS, statistics, tags.and("result", "hit"), HotKeyStatistics::replicaHits,
                "Reads of a hot key from one of its replicas in Redis: served (hit), or missed and read from the"
                        + " key itself (miss)");
        counter(registry, REPLICA_READS, statistics, tags.and("result", "miss"), HotKeyStatistics::replicaMisses, null);
    }

    private static void counter(MeterRegistry registry, String name, HotKeyStatistics statistics, Tags tags,
            ToDoubleFunction<HotKeyStatistics> count, @Nullable String description) {
        // The statistics live as long as their cache and never change, so the meter reads them directly.
        FunctionCounter.builder(name, statistics, count)
                .tags(tags)
                .description(description)
                .register(registry);
    }
}
