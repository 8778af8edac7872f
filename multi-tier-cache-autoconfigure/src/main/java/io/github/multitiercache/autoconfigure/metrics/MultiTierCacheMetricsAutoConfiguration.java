package io.github.multitiercache.autoconfigure.metrics;

import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.cache.autoconfigure.metrics.CacheMetricsAutoConfiguration;
import org.springframework.boot.cache.metrics.CacheMeterBinderProvider;
import org.springframework.boot.cache.metrics.CacheMetricsRegistrar;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configures the Micrometer meters of multi-tier caches when a {@link MeterRegistry} and a
 * {@link MultiTierCacheManager} exist: a {@link CacheMeterBinderProvider} through which Spring
 * Boot's cache metrics bind every cache (including those created after startup), and the meters
 * of the Redis tier and of the invalidation channel. The meters are listed in
 * {@code docs/metrics.md}.
 */
@AutoConfiguration(after = { MultiTierCacheAutoConfiguration.class, CacheMetricsAutoConfiguration.class },
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({ MeterRegistry.class, CacheMeterBinderProvider.class })
@ConditionalOnBean({ MultiTierCacheManager.class, MeterRegistry.class })
public final class MultiTierCacheMetricsAutoConfiguration {

    MultiTierCacheMetricsAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean
    MultiTierCacheMeterBinderProvider multiTierCacheMeterBinderProvider(
            ObjectProvider<MultiTierCacheMeterContributor> contributors) {
        return new MultiTierCacheMeterBinderProvider(contributors.orderedStream().toList());
    }

    @Bean
    @ConditionalOnMissingBean
    CreatedCacheMetricsBinder multiTierCacheCreatedCacheMetricsBinder(ListableBeanFactory beanFactory,
            ObjectProvider<CacheMetricsRegistrar> registrar) {
        return new CreatedCacheMetricsBinder(beanFactory, registrar);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(RedisTier.class)
    RedisTierMetrics multiTierCacheRedisTierMetrics(RedisTier redisTier) {
        return new RedisTierMetrics(redisTier);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(InvalidationBus.class)
    InvalidationMetrics multiTierCacheInvalidationMetrics(InvalidationBus invalidationBus) {
        return new InvalidationMetrics(invalidationBus);
    }
}
