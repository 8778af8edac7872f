package io.github.multitiercache.autoconfigure.health;

import java.util.Map;

import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.autoconfigure.MultiTierCacheProperties;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.data.redis.autoconfigure.health.DataRedisHealthContributorAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.health.DataRedisReactiveHealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configures, when a {@link MultiTierCacheManager} and a {@link RedisConnectionFactory}
 * exist, the health contributors that concern the caches, both under
 * {@code multi-tier-cache.health}:
 * <ul>
 *   <li>{@code multiTierCache} ({@link MultiTierCacheHealthIndicator});
 *       {@code management.health.multitiercache.enabled=false} switches it off;
 *   <li>{@code redis} ({@link RedisHealthIndicator}), in place of Spring Boot's own: Boot's
 *       imperative and reactive Redis contributors both back off when a bean named
 *       {@code redisHealthContributor} or {@code redisHealthIndicator} exists, and this
 *       configuration runs before theirs. Boot's reports DOWN while Redis is unreachable, which
 *       would turn the application's health to 503 while the caches serve on, and waits for
 *       Lettuce's command timeout on a hung Redis. {@code management.health.redis.enabled=false}
 *       switches it off as before; an application's own bean of either name is kept.
 * </ul>
 * Both ask Redis the same question and share it within one request, on a thread of their own,
 * so a health request waits on Redis at most {@code multi-tier-cache.health.timeout}.
 */
@AutoConfiguration(after = MultiTierCacheAutoConfiguration.class,
        before = { DataRedisHealthContributorAutoConfiguration.class,
                DataRedisReactiveHealthContributorAutoConfiguration.class })
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean({ MultiTierCacheManager.class, RedisConnectionFactory.class })
@EnableConfigurationProperties(MultiTierCacheProperties.class)
public final class MultiTierCacheHealthContributorAutoConfiguration {

    MultiTierCacheHealthContributorAutoConfiguration() {
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    static RedisHealthChecks multiTierCacheRedisHealthChecks(MultiTierCacheProperties properties) {
        return new RedisHealthChecks(properties.getHealth().getTimeout());
    }

    static Status redisDownStatus(MultiTierCacheProperties properties) {
        return MultiTierCacheHealthIndicator.status(properties.getHealth().getRedisDownStatus());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnEnabledHealthIndicator("multitiercache")
    static class MultiTierCacheContributorConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "multiTierCacheHealthIndicator")
        MultiTierCacheHealthIndicator multiTierCacheHealthIndicator(RedisConnectionFactory connectionFactory,
                RedisHealthChecks checks, ObjectProvider<RedisTier> redisTier,
                ObjectProvider<InvalidationBus> invalidationBus, MultiTierCacheProperties properties) {
            return new MultiTierCacheHealthIndicator(checks.of(connectionFactory), redisTier.getIfUnique(),
                    invalidationBus.getIfUnique(), redisDownStatus(properties));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnEnabledHealthIndicator("redis")
    static class RedisContributorConfiguration {

        /**
         * Named as Boot's, whose auto-configurations back off for this name; one indicator per
         * connection factory, under its bean name, when there are several (as Boot does).
         */
        @Bean
        @ConditionalOnMissingBean(name = { "redisHealthIndicator", "redisHealthContributor" })
        HealthContributor redisHealthContributor(ListableBeanFactory beanFactory, RedisHealthChecks checks,
                MultiTierCacheProperties properties) {
            Status downStatus = redisDownStatus(properties);
            Map<String, RedisConnectionFactory> factories = beanFactory.getBeansOfType(RedisConnectionFactory.class,
                    true, false);
            if (factories.size() == 1) {
                return new RedisHealthIndicator(checks.of(factories.values().iterator().next()), downStatus);
            }
            return CompositeHealthContributor.fromMap(factories,
                    factory -> new RedisHealthIndicator(checks.of(factory), downStatus));
        }
    }
}
