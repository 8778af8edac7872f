package io.github.multitiercache.autoconfigure.health;

import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configures the {@code multiTierCache} health contributor when a {@link MultiTierCacheManager}
 * and a {@link RedisConnectionFactory} exist; {@code management.health.multitiercache.enabled=false}
 * switches it off. Its settings are {@link MultiTierCacheHealthProperties}.
 */
@AutoConfiguration(after = MultiTierCacheAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean({ MultiTierCacheManager.class, RedisConnectionFactory.class })
@ConditionalOnEnabledHealthIndicator("multitiercache")
public final class MultiTierCacheHealthContributorAutoConfiguration {

    MultiTierCacheHealthContributorAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean(name = "multiTierCacheHealthIndicator")
    MultiTierCacheHealthIndicator multiTierCacheHealthIndicator(RedisConnectionFactory connectionFactory,
            ObjectProvider<RedisTier> redisTier, ObjectProvider<InvalidationBus> invalidationBus,
            Environment environment) {
        MultiTierCacheHealthProperties properties = Binder.get(environment)
                .bindOrCreate(MultiTierCacheHealthProperties.PREFIX, MultiTierCacheHealthProperties.class);
        return new MultiTierCacheHealthIndicator(connectionFactory, redisTier.getIfUnique(),
                invalidationBus.getIfUnique(), MultiTierCacheHealthIndicator.status(properties.getRedisDownStatus()),
                properties.getTimeout());
    }
}
