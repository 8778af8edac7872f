package io.github.multitiercache.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * When the consumer is configured, and the mistakes in its mapping that fail the startup. The contexts
 * fail before any lifecycle starts, so no database is needed.
 */
class CdcAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, CacheAutoConfiguration.class,
                    MultiTierCacheAutoConfiguration.class, MultiTierCacheCdcAutoConfiguration.class))
            .withUserConfiguration(Caching.class)
            .withPropertyValues("spring.data.redis.port=" + RedisServer.shared().port(),
                    "multi-tier-cache.key-prefix=autoconf",
                    "multi-tier-cache.caches.products.l1.ttl=1m",
                    "multi-tier-cache.cdc.tables[public.products].evict[0].cache=products",
                    "multi-tier-cache.cdc.tables[public.products].evict[0].key=#{id}");

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class Caching {
    }

    @Configuration(proxyBeanMethods = false)
    static class TagEvictor {

        @Bean
        CdcTagEvictor tagEvictor() {
            return tags -> {
            };
        }
    }

    @Test
    void withoutTheSwitchNothingOfTheModuleIsCreatedAndItsSettingsAreAccepted() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(MultiTierCacheManager.class);
            assertThat(context).doesNotHaveBean(CdcConsumer.class);
        });
    }

    @Test
    void anUnknownCacheNameFailsTheStartupNamingIt() {
        runner.withPropertyValues("multi-tier-cache.cdc.enabled=true",
                "multi-tier-cache.cdc.tables[public.products].evict[0].cache=prodcuts")
                .run(context -> assertThat(context).getFailure()
                        .hasStackTraceContaining("unknown caches [prodcuts]"));
    }

    @Test
    void anUnparsableTemplateFailsTheStartupNamingTheProperty() {
        runner.withPropertyValues("multi-tier-cache.cdc.enabled=true",
                "multi-tier-cache.cdc.tables[public.products].evict[0].key=#{id +}")
                .run(context -> assertThat(context).getFailure()
                        .hasStackTraceContaining("multi-tier-cache.cdc.tables[public.products].evict[0].key:"
                                + " cannot parse the SpEL template '#{id +}'"));
    }

    @Test
    void tagsWithoutATagEvictorBeanAreEvictedThroughTheCacheManager() {
        runner.withPropertyValues("multi-tier-cache.cdc.enabled=true",
                "multi-tier-cache.cdc.tables[public.products].tags[0]=product:#{id}",
                "multi-tier-cache.cdc.database.port=1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(CdcConsumer.class);
                    assertThat(context).doesNotHaveBean(CdcTagEvictor.class);
                });
    }

    @Test
    void tagsWithATagEvictorBeanStartTheConsumerBean() {
        runner.withUserConfiguration(TagEvictor.class)
                .withPropertyValues("multi-tier-cache.cdc.enabled=true",
                        "multi-tier-cache.cdc.tables[public.products].tags[0]=product:#{id}",
                        // nothing listens there: the holder's engine fails and is retried, which is fine here
                        "multi-tier-cache.cdc.database.port=1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(CdcConsumer.class);
                    assertThat(context.getBean(CdcMapping.class).hasTags()).isTrue();
                });
    }
}
