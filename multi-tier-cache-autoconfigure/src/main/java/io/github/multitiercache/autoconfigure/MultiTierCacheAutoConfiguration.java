package io.github.multitiercache.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;

import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.multitiercache.annotation.CacheOptionsRegistry;
import io.github.multitiercache.annotation.CacheEvictTagsAdvisor;
import io.github.multitiercache.annotation.CacheableAllAdvisor;
import io.github.multitiercache.annotation.CacheableTagsAdvisor;
import io.github.multitiercache.annotation.MultiTierCacheableProcessor;
import io.github.multitiercache.core.CacheKeyConverter;
import io.github.multitiercache.core.DefaultCacheKeyConverter;
import io.github.multitiercache.core.InvalidationPublisher;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TieredCacheContext;
import io.github.multitiercache.core.TtlJitter;
import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.core.codec.TypeAllowList;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.KeyTracking;
import io.github.multitiercache.core.l1.CoarseTicker;
import io.github.multitiercache.core.invalidation.InvalidationSettings;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.CacheableL1HitAdvisor;
import io.github.multitiercache.spring.LoadThroughCacheOperationSource;
import io.github.multitiercache.spring.MultiTierCacheCustomizer;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.CacheManagerCustomizer;
import org.springframework.boot.cache.autoconfigure.CacheManagerCustomizers;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.CacheManager;
import org.springframework.cache.interceptor.BeanFactoryCacheOperationSourceAdvisor;
import org.springframework.cache.interceptor.CacheAspectSupport;
import org.springframework.cache.interceptor.CacheOperationSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.Ordered;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * Auto-configures a {@link MultiTierCacheManager} (Caffeine over Redis) when caching is enabled
 * ({@code @EnableCaching}), Redis is configured through Lettuce, and the application defines no
 * {@link CacheManager} of its own. {@code multi-tier-cache.enabled=false} switches it off.
 *
 * <p>The manager is adjusted by every Spring Boot {@code CacheManagerCustomizer} bean that accepts
 * it ({@link MultiTierCacheManagerCustomizer} among them). The caches run their background work on
 * the application's {@link MultiTierCacheExecutor @MultiTierCacheExecutor} executor, or on one the
 * auto-configuration owns and shuts down with the context.
 */
@AutoConfiguration(before = CacheAutoConfiguration.class, after = DataRedisAutoConfiguration.class)
@ConditionalOnClass({ Caffeine.class, LettuceConnectionFactory.class, MultiTierCacheManager.class })
@ConditionalOnBean({ CacheAspectSupport.class, RedisConnectionFactory.class })
@ConditionalOnMissingBean(CacheManager.class)
@ConditionalOnBooleanProperty(name = "multi-tier-cache.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MultiTierCacheProperties.class)
public final class MultiTierCacheAutoConfiguration {

    /** The bean name of the serializer of values in Redis; define a bean of this name to replace it. */
    public static final String VALUE_SERIALIZER_BEAN_NAME = "multiTierCacheValueSerializer";

    private static final Log logger = LogFactory.getLog(MultiTierCacheAutoConfiguration.class);

    MultiTierCacheAutoConfiguration() {
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static CacheOptionsRegistry multiTierCacheOptionsRegistry() {
        return new CacheOptionsRegistry();
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static MultiTierCacheableProcessor multiTierCacheableProcessor(ObjectProvider<CacheOptionsRegistry> registry) {
        return new MultiTierCacheableProcessor(registry.getObject());
    }

    /**
     * Gives Spring's cache interceptors a {@link LoadThroughCacheOperationSource}, so that plain
     * {@code @Cacheable} methods load through the cache. Done once every singleton exists: the
     * interceptor is created too early for a bean post-processor to reach it.
     */
    @Bean
    @ConditionalOnBooleanProperty(name = "multi-tier-cache.load-through", matchIfMissing = true)
    SmartInitializingSingleton multiTierCacheLoadThrough(ObjectProvider<CacheAspectSupport> interceptors) {
        return () -> interceptors.orderedStream().forEach(interceptor -> {
            CacheOperationSource source = interceptor.getCacheOperationSource();
            if (source != null && !(source instanceof LoadThroughCacheOperationSource)) {
                interceptor.setCacheOperationSource(new LoadThroughCacheOperationSource(source));
            }
        });
    }

    /**
     * Answers L1 hits of simple {@code @Cacheable} methods before Spring's cache interceptor runs
     * (see {@link CacheableL1HitAdvisor}). Advisors are created, and their pointcuts asked, while
     * bean post-processors are still being registered, so the advisor only ever sees Spring's
     * interceptor and cache advisor once they exist: a bean proxied before then gets neither.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnBooleanProperty(name = "multi-tier-cache.l1-hit-shortcut", matchIfMissing = true)
    static CacheableL1HitAdvisor multiTierCacheL1HitAdvisor(ConfigurableListableBeanFactory beanFactory) {
        return new CacheableL1HitAdvisor(() -> existing(beanFactory, CacheAspectSupport.class), () -> {
            BeanFactoryCacheOperationSourceAdvisor cacheAdvisor = existing(beanFactory,
                    BeanFactoryCacheOperationSourceAdvisor.class);
            return (cacheAdvisor != null) ? cacheAdvisor.getOrder() : Ordered.LOWEST_PRECEDENCE;
        });
    }

    /**
     * Runs {@link io.github.multitiercache.annotation.CacheableAll @CacheableAll} methods through
     * the caches of the {@link CacheManager}, looked up on their first call.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static CacheableAllAdvisor multiTierCacheableAllAdvisor(ObjectProvider<CacheManager> cacheManager) {
        return new CacheableAllAdvisor(cacheManager::getIfAvailable);
    }

    /**
     * Tags the values of {@code @MultiTierCacheable(tags = ...)} methods (see
     * {@link CacheableTagsAdvisor}), ordered just outside Spring's cache advisor.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static CacheableTagsAdvisor multiTierCacheableTagsAdvisor(ObjectProvider<CacheManager> cacheManager,
            ConfigurableListableBeanFactory beanFactory) {
        return new CacheableTagsAdvisor(cacheManager::getIfAvailable, () -> {
            BeanFactoryCacheOperationSourceAdvisor cacheAdvisor = existing(beanFactory,
                    BeanFactoryCacheOperationSourceAdvisor.class);
            return (cacheAdvisor != null) ? cacheAdvisor.getOrder() : Ordered.LOWEST_PRECEDENCE;
        });
    }

    /** Runs {@link io.github.multitiercache.annotation.CacheEvictTags @CacheEvictTags} methods. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static CacheEvictTagsAdvisor multiTierCacheEvictTagsAdvisor(ObjectProvider<CacheManager> cacheManager) {
        return new CacheEvictTagsAdvisor(cacheManager::getIfAvailable);
    }

    /** The one bean of a type if it has been created already, without creating anything. */
    private static <T> @Nullable T existing(ConfigurableListableBeanFactory beanFactory, Class<T> type) {
        String[] names = beanFactory.getBeanNamesForType(type, false, false);
        return (names.length == 1 && beanFactory.containsSingleton(names[0])) ? beanFactory.getBean(names[0], type)
                : null;
    }

    /**
     * The executor of the caches and the Redis tier: the application's
     * {@link MultiTierCacheExecutor @MultiTierCacheExecutor} bean, otherwise one of our own that never
     * queues a task behind a blocking loader, shut down after the beans that use it.
     */
    @Bean
    @ConditionalOnMissingBean
    CacheExecution multiTierCacheExecution(@MultiTierCacheExecutor ObjectProvider<Executor> executor,
            Environment environment) {
        Executor application = executor.getIfAvailable();
        return (application != null) ? CacheExecution.of(application) : CacheExecution.owned(environment);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    RedisTier multiTierCacheRedisTier(RedisConnectionFactory connectionFactory, MultiTierCacheProperties properties,
            CacheExecution execution) {
        if (!(connectionFactory instanceof LettuceConnectionFactory lettuce)) {
            throw new IllegalStateException("multi-tier-cache needs Lettuce, but the RedisConnectionFactory is a "
                    + connectionFactory.getClass().getName() + "; remove Jedis or set multi-tier-cache.enabled=false");
        }
        MultiTierCacheProperties.Redis redis = properties.getRedis();
        CircuitBreaker breaker = new CircuitBreaker(redis.getFailureThreshold(), redis.getOpenDuration(),
                System::nanoTime);
        return new RedisTier(lettuce, redis.getCommandTimeout(), breaker, execution.executor());
    }

    /**
     * JSON restricted to the built-in JDK types, the application's own packages (whatever their
     * depth: {@code package demo;} is fine) and {@code multi-tier-cache.serialization.allowed-packages}.
     * The default package cannot be allowed by prefix: an application there is warned once.
     */
    @Bean(name = VALUE_SERIALIZER_BEAN_NAME)
    @ConditionalOnMissingBean(name = VALUE_SERIALIZER_BEAN_NAME)
    RedisSerializer<Object> multiTierCacheValueSerializer(BeanFactory beanFactory, MultiTierCacheProperties properties) {
        List<String> applicationPackages = AutoConfigurationPackages.has(beanFactory)
                ? AutoConfigurationPackages.get(beanFactory) : List.of();
        // Boot registers the packages under the class's name, but drops the default package, and
        // has() is false for an empty list: the registration without packages is the default package.
        if (applicationPackages.isEmpty() && beanFactory.containsBean(AutoConfigurationPackages.class.getName())) {
            logger.warn("The application's @SpringBootApplication class is in the default package, which cannot be"
                    + " put on the cache's allow-list, so values of the application's own types are kept out of"
                    + " Redis: move the application into a package, or list the packages of the cached types"
                    + " under multi-tier-cache.serialization.allowed-packages");
        }
        return new JsonValueSerializer(TypeAllowList.of(applicationPackages,
                properties.getSerialization().getAllowedPackages()));
    }

    @Bean
    @ConditionalOnMissingBean
    CacheKeyConverter multiTierCacheKeyConverter() {
        return DefaultCacheKeyConverter.INSTANCE;
    }

    @Bean
    @ConditionalOnMissingBean
    L1Guard multiTierCacheL1Guard(MultiTierCacheProperties properties) {
        MultiTierCacheProperties.Invalidation invalidation = properties.getInvalidation();
        return invalidation.isEnabled() ? new L1Guard(invalidation.getDegradedL1Ttl().toMillis())
                : L1Guard.alwaysTrusted();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "multi-tier-cache.invalidation.enabled", matchIfMissing = true)
    InvalidationBus multiTierCacheInvalidationBus(RedisTier redisTier, RedisConnectionFactory connectionFactory,
            L1Guard l1Guard, MultiTierCacheProperties properties) {
        MultiTierCacheProperties.Invalidation invalidation = properties.getInvalidation();
        String channel = (invalidation.getChannel() != null) ? invalidation.getChannel()
                : properties.getKeyPrefix() + ":invalidation";
        InvalidationSettings settings = new InvalidationSettings(channel, invalidation.getHeartbeatInterval(),
                invalidation.getMaxStaleness(), invalidation.getDegradedL1Ttl(), invalidation.getMaxKeysPerMessage(),
                invalidation.getBatchWindow());
        return new InvalidationBus(redisTier, connectionFactory, l1Guard, settings, System::nanoTime,
                Clock.systemUTC());
    }

    /**
     * Client-side tracking beside the bus: writes made to the caches' keys outside the library drop
     * the L1 copies of every instance (see docs/invalidation.md, "Writes from outside").
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(InvalidationBus.class)
    @ConditionalOnBooleanProperty(name = "multi-tier-cache.invalidation.tracking.enabled", matchIfMissing = true)
    KeyTracking multiTierCacheKeyTracking(RedisConnectionFactory connectionFactory, InvalidationBus bus,
            L1Guard l1Guard, MultiTierCacheProperties properties) {
        // multiTierCacheRedisTier has already refused any factory but Lettuce's.
        return new KeyTracking((LettuceConnectionFactory) connectionFactory, bus, l1Guard, properties.getKeyPrefix(),
                System::nanoTime);
    }

    /** The L1 clock: a hit reads a field instead of {@code System.nanoTime()}. */
    @Bean
    @ConditionalOnMissingBean
    CoarseTicker multiTierCacheTicker() {
        return new CoarseTicker(Duration.ofMillis(1));
    }

    @Bean
    @ConditionalOnMissingBean
    TieredCacheContext multiTierCacheContext(RedisTier redisTier, BeanFactory beanFactory,
            CacheKeyConverter keyConverter, MultiTierCacheProperties properties,
            ObjectProvider<InvalidationPublisher> publisher, L1Guard l1Guard, CoarseTicker ticker,
            CacheExecution execution) {
        @SuppressWarnings("unchecked")
        RedisSerializer<Object> serializer = beanFactory.getBean(VALUE_SERIALIZER_BEAN_NAME, RedisSerializer.class);
        return new TieredCacheContext(redisTier, serializer, keyConverter, properties.getKeyPrefix(),
                TtlJitter.random(), publisher.getIfAvailable(() -> InvalidationPublisher.NONE),
                l1Guard, Clock.systemUTC(),
                ticker, execution.executor());
    }

    /**
     * The manager, adjusted by every {@link CacheManagerCustomizer} bean that accepts it (our
     * {@link MultiTierCacheManagerCustomizer} among them), in bean order. Boot's own
     * {@link CacheManagerCustomizers} applies them, so that a customizer typed for another manager
     * is skipped exactly as Boot skips it; Boot's cache auto-configuration, which would do this for
     * its own managers, backs off because this manager exists.
     */
    @Bean
    MultiTierCacheManager cacheManager(TieredCacheContext context, MultiTierCacheProperties properties,
            CacheOptionsRegistry annotations, ObjectProvider<MultiTierCacheCustomizer> cacheCustomizers,
            ObjectProvider<CacheManagerCustomizer<?>> managerCustomizers) {
        MultiTierCacheManager cacheManager = new MultiTierCacheManager(context,
                new CacheSettingsResolver(properties, annotations));
        cacheManager.setCacheNames(properties.getCaches().keySet());
        cacheManager.setDynamic(properties.isDynamic());
        cacheCustomizers.orderedStream().forEach(cacheManager::addCustomizer);
        return new CacheManagerCustomizers(managerCustomizers.orderedStream().toList()).customize(cacheManager);
    }

    /**
     * Creates, once every bean has been processed, the caches named in configuration and those
     * declared by {@code @MultiTierCacheable}, so that invalid options of either fail the startup
     * instead of the first call.
     */
    @Bean
    SmartInitializingSingleton multiTierCacheStartupCaches(MultiTierCacheManager cacheManager,
            MultiTierCacheProperties properties, CacheOptionsRegistry annotations) {
        return () -> {
            Set<String> names = new LinkedHashSet<>(properties.getCaches().keySet());
            names.addAll(annotations.cacheNames());
            cacheManager.setCacheNames(names);
            cacheManager.initializeCaches();
        };
    }
}
