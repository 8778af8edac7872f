package io.github.multitiercache.autoconfigure.endpoint;

import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configures the {@link MultiTierCacheEndpoint multitiercache} actuator endpoint when a
 * {@link MultiTierCacheManager} exists and the endpoint is available (enabled and exposed, for
 * example with {@code management.endpoints.web.exposure.include=multitiercache}).
 */
@AutoConfiguration(after = MultiTierCacheAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(MultiTierCacheManager.class)
@ConditionalOnAvailableEndpoint(MultiTierCacheEndpoint.class)
public final class MultiTierCacheEndpointAutoConfiguration {

    MultiTierCacheEndpointAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean
    MultiTierCacheEndpoint multiTierCacheEndpoint(ListableBeanFactory beanFactory, ObjectProvider<RedisTier> redisTier,
            ObjectProvider<InvalidationBus> invalidationBus, ObjectProvider<L1Guard> l1Guard,
            ObjectProvider<RedisConnectionFactory> connectionFactory) {
        return new MultiTierCacheEndpoint(beanFactory.getBeansOfType(MultiTierCacheManager.class),
                redisTier.getIfUnique(), invalidationBus.getIfUnique(), l1Guard.getIfUnique(),
                connectionFactory.getIfUnique());
    }
}
