package io.github.multitiercache.cdc;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.debezium.engine.DebeziumEngine;
import io.github.multitiercache.annotation.CacheOptionsRegistry;
import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.autoconfigure.MultiTierCacheProperties;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Runs the change-data-capture consumer ({@link CdcConsumer}) when {@code multi-tier-cache.cdc.enabled=true}
 * and the multi-tier cache manager exists. The mapping comes from {@code multi-tier-cache.cdc.tables}
 * unless the application defines a {@link CdcMapping} bean; tags are evicted through
 * {@link MultiTierCacheManager#evictTags}, or the application's {@link CdcTagEvictor} bean when it
 * defines one. Mistakes in the mapping (a template that does not parse, a cache the manager does not
 * declare) fail the startup.
 */
@AutoConfiguration(after = MultiTierCacheAutoConfiguration.class)
@ConditionalOnClass({ DebeziumEngine.class, MultiTierCacheManager.class })
@ConditionalOnBooleanProperty(name = "multi-tier-cache.cdc.enabled")
@ConditionalOnBean(MultiTierCacheManager.class)
@EnableConfigurationProperties(CdcProperties.class)
public final class MultiTierCacheCdcAutoConfiguration {

    MultiTierCacheCdcAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean
    CdcMapping multiTierCacheCdcMapping(CdcProperties properties) {
        if (properties.getTables().isEmpty()) {
            throw new IllegalStateException("multi-tier-cache.cdc.enabled=true but multi-tier-cache.cdc.tables maps no"
                    + " table; map at least one, its name in brackets and quotes in YAML so that the dot is kept"
                    + " (\"[public.products]\":), see docs/cdc.md, or define a CdcMapping bean");
        }
        return SpelCdcMapping.of(properties.getTables());
    }

    @Bean
    CdcConsumer multiTierCacheCdcConsumer(CdcProperties properties, CdcMapping mapping,
            MultiTierCacheManager cacheManager, ObjectProvider<CdcTagEvictor> tagEvictor,
            ObjectProvider<CdcMeters> meters, RedisConnectionFactory connectionFactory,
            MultiTierCacheProperties cacheProperties) {
        // Tags are evicted through the cache manager (every cache, every instance) unless the
        // application supplies its own evictor.
        CdcTagEvictor evictor = tagEvictor.getIfUnique(() -> cacheManager::evictTags);
        if (mapping.tables().isEmpty()) {
            throw new IllegalStateException("The change-data-capture mapping names no table");
        }
        ChangeApplier applier = new ChangeApplier(mapping, cacheManager::getCache, evictor,
                meters.getIfAvailable(() -> CdcMeters.NONE), Clock.systemUTC());
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
        return new CdcConsumer(properties, mapping, applier, redis, cacheProperties.getKeyPrefix());
    }

    /**
     * Checks, once every bean exists and the configured caches were created, that every cache the mapping
     * names is one the manager declares ({@code multi-tier-cache.caches} or {@code @MultiTierCacheable}),
     * so that a misspelt name fails the startup instead of evicting nothing.
     */
    @Bean
    SmartInitializingSingleton multiTierCacheCdcMappingCheck(CdcMapping mapping, MultiTierCacheManager cacheManager,
            MultiTierCacheProperties cacheProperties, ObjectProvider<CacheOptionsRegistry> annotations) {
        return () -> {
            Set<String> known = new LinkedHashSet<>(cacheManager.getCacheNames());
            known.addAll(cacheProperties.getCaches().keySet());
            CacheOptionsRegistry registry = annotations.getIfAvailable();
            if (registry != null) {
                known.addAll(registry.cacheNames());
            }
            List<String> unknown = new ArrayList<>(mapping.cacheNames());
            unknown.removeAll(known);
            if (!unknown.isEmpty()) {
                throw new IllegalStateException("The change-data-capture mapping names unknown caches " + unknown
                        + "; the caches it evicts must be declared under multi-tier-cache.caches (or by"
                        + " @MultiTierCacheable). Known caches: " + known);
            }
        };
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    @ConditionalOnBean(MeterRegistry.class)
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean
        CdcMeters multiTierCacheCdcMeters(MeterRegistry registry) {
            return new MicrometerCdcMeters(registry);
        }

        @Bean
        SmartInitializingSingleton multiTierCacheCdcLeaseGauge(MeterRegistry registry, CdcConsumer consumer) {
            return () -> Gauge.builder(MicrometerCdcMeters.LEASE_HOLDER, consumer, c -> c.isLeaseHolder() ? 1 : 0)
                    .description("1 while this instance holds the change-data-capture lease and runs the consumer")
                    .register(registry);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
    @ConditionalOnAvailableEndpoint(CdcEndpoint.class)
    static class Endpoints {

        @Bean
        @ConditionalOnMissingBean
        CdcEndpoint multiTierCacheCdcEndpoint(CdcConsumer consumer) {
            return new CdcEndpoint(consumer);
        }
    }
}
