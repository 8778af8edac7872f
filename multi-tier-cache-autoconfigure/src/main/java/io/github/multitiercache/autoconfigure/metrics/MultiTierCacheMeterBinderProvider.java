package io.github.multitiercache.autoconfigure.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.spring.MultiTierCache;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.cache.metrics.CacheMeterBinderProvider;

/**
 * Gives Spring Boot's cache metrics registrar the meters of a {@link MultiTierCache}: the
 * standard cache meters, the per-tier and operation meters, and those of any further
 * {@link MultiTierCacheMeterContributor}.
 *
 * <p>A cache is bound at most once per registry, however often it is handed in: the registrar
 * binds the caches it finds at startup, and the caches created later are handed in as they are
 * created, which may include some of the former.
 */
public final class MultiTierCacheMeterBinderProvider implements CacheMeterBinderProvider<MultiTierCache> {

    private final List<MultiTierCacheMeterContributor> contributors;

    private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();

    /**
     * Creates a provider binding the built-in meter groups and the given ones.
     * @param contributors further groups of meters, applied after the built-in ones
     */
    public MultiTierCacheMeterBinderProvider(List<MultiTierCacheMeterContributor> contributors) {
        List<MultiTierCacheMeterContributor> all = new ArrayList<>();
        all.add(TierMeters.INSTANCE);
        all.add(OperationMeters.INSTANCE);
        all.add(StampedeMeters.INSTANCE);
        all.add(HotKeyMeters.INSTANCE);
        all.add(BulkReadMeters.INSTANCE);
        all.add(TagMeters.INSTANCE);
        all.addAll(contributors);
        this.contributors = List.copyOf(all);
    }

    @Override
    public MeterBinder getMeterBinder(MultiTierCache cache, Iterable<Tag> tags) {
        TieredCache engine = cache.getNativeCache();
        MultiTierCacheMetrics metrics = new MultiTierCacheMetrics(engine, tags, contributors);
        return registry -> {
            if (bindings.add(new Binding(registry, engine))) {
                metrics.bindTo(registry);
            }
        };
    }

    /** Neither component overrides {@code equals}, so a binding is one registry and one cache by identity. */
    private record Binding(MeterRegistry registry, TieredCache cache) {
    }
}
