package io.github.multitiercache.autoconfigure.metrics;

import java.util.List;
import java.util.function.ToLongFunction;

import io.github.multitiercache.core.CacheStatistics;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.l1.L1Tier;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.cache.CacheMeterBinder;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one multi-tier cache: Micrometer's standard cache meters over both tiers
 * ({@code cache.gets}, {@code cache.puts}, {@code cache.evictions}, and {@code cache.size} as
 * this instance's L1 size), then every {@link MultiTierCacheMeterContributor}'s group.
 *
 * <p>Every meter reads the counts the cache keeps anyway, so a cache lookup costs nothing more
 * with meters than without.
 */
final class MultiTierCacheMetrics extends CacheMeterBinder<TieredCache> {

    private final List<MultiTierCacheMeterContributor> contributors;

    MultiTierCacheMetrics(TieredCache cache, Iterable<Tag> tags, List<MultiTierCacheMeterContributor> contributors) {
        super(cache, cache.name(), tags);
        this.contributors = List.copyOf(contributors);
    }

    /** This instance's L1 entries; Redis is not counted (that would take a SCAN). */
    @Override
    protected @Nullable Long size() {
        TieredCache cache = getCache();
        L1Tier l1 = (cache != null) ? cache.insight().l1() : null;
        return (l1 != null) ? l1.estimatedSize() : null;
    }

    @Override
    protected long hitCount() {
        return read(CacheStatistics::hits);
    }

    @Override
    protected Long missCount() {
        return read(CacheStatistics::misses);
    }

    /** Explicit evictions, as Spring's {@code RedisCache} counts them; L1's own are a tier meter. */
    @Override
    protected Long evictionCount() {
        return read(CacheStatistics::evictions);
    }

    @Override
    protected long putCount() {
        return read(CacheStatistics::puts);
    }

    @Override
    protected void bindImplementationSpecificMetrics(MeterRegistry registry) {
        TieredCache cache = getCache();
        if (cache == null) {
            return;
        }
        Tags tags = Tags.of(getTagsWithCacheName());
        for (MultiTierCacheMeterContributor contributor : contributors) {
            contributor.bindTo(cache, tags, registry);
        }
    }

    private long read(ToLongFunction<CacheStatistics> count) {
        TieredCache cache = getCache();
        return (cache != null) ? count.applyAsLong(cache.statistics()) : 0;
    }
}
