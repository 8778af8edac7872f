package io.github.multitiercache.autoconfigure;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.multitiercache.spring.MultiTierCacheManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.cache.autoconfigure.CacheManagerCustomizer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.concurrent.ConcurrentMapCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.data.redis.cache.RedisCacheManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Boot's {@link CacheManagerCustomizer} beans and our {@link MultiTierCacheManagerCustomizer}
 * adjust the auto-configured manager the way Boot's own cache auto-configuration applies them to
 * its managers: every customizer whose type argument accepts the manager, in bean order, before
 * the startup caches exist; customizers typed for another manager are skipped.
 */
class CacheManagerCustomizerTests {

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.shared();

    private final ApplicationContextRunner contextRunner = redis.contextRunner()
            .withUserConfiguration(CachingConfiguration.class);

    @Test
    void bootCustomizerTypedForTheMultiTierManagerIsApplied() {
        contextRunner.withUserConfiguration(StrictManagerConfiguration.class)
                .withPropertyValues("multi-tier-cache.caches.books.l2.ttl=1h")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
                    assertThat(manager.getCache("books")).isNotNull();
                    assertThat(manager.getCache("not-configured")).as("dynamic creation switched off").isNull();
                });
    }

    @Test
    void bootAndOwnCustomizersRunInOneOrderBeforeTheStartupCachesExist() {
        contextRunner.withUserConfiguration(OrderedCustomizersConfiguration.class)
                .withPropertyValues("multi-tier-cache.caches.books.l2.ttl=1h")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(OrderedCustomizersConfiguration.class).calls).containsExactly(
                            "own(1)", "boot-multi-tier(2)", "boot-any-manager(3)", "own(4)",
                            "created books");
                });
    }

    @Test
    void customizersTypedForAnotherManagerAreNotApplied() {
        contextRunner.withUserConfiguration(OtherManagerCustomizersConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(CacheManager.class)).isInstanceOf(MultiTierCacheManager.class);
            assertThat(context.getBean(OtherManagerCustomizersConfiguration.class).calls)
                    .containsExactly("boot-multi-tier");
        });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingConfiguration {
    }

    @Configuration(proxyBeanMethods = false)
    static class StrictManagerConfiguration {

        @Bean
        CacheManagerCustomizer<MultiTierCacheManager> strictManager() {
            return manager -> manager.setDynamic(false);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OrderedCustomizersConfiguration {

        final List<String> calls = new CopyOnWriteArrayList<>();

        // Declared out of order on purpose: only @Order decides.
        @Bean
        @Order(4)
        MultiTierCacheManagerCustomizer ownLast() {
            return manager -> calls.add("own(4)");
        }

        @Bean
        @Order(3)
        CacheManagerCustomizer<CacheManager> bootForAnyManager() {
            return manager -> calls.add("boot-any-manager(3)");
        }

        @Bean
        @Order(1)
        MultiTierCacheManagerCustomizer ownFirst() {
            return manager -> {
                calls.add("own(1)");
                manager.addCacheCreationListener(cache -> calls.add("created " + cache.getName()));
            };
        }

        @Bean
        @Order(2)
        CacheManagerCustomizer<MultiTierCacheManager> bootForMultiTier() {
            return manager -> calls.add("boot-multi-tier(2)");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OtherManagerCustomizersConfiguration {

        final List<String> calls = new CopyOnWriteArrayList<>();

        @Bean
        CacheManagerCustomizer<MultiTierCacheManager> bootForMultiTier() {
            return manager -> calls.add("boot-multi-tier");
        }

        // The type argument is visible on the class: Boot's generic check skips it.
        @Bean
        ConcurrentMapCustomizer concurrentMapCustomizer() {
            return new ConcurrentMapCustomizer(calls);
        }

        // A lambda hides its type argument: Boot calls it and drops the ClassCastException.
        @Bean
        CacheManagerCustomizer<RedisCacheManager> redisCustomizer() {
            return manager -> calls.add("redis " + manager.getCacheNames());
        }
    }

    static final class ConcurrentMapCustomizer implements CacheManagerCustomizer<ConcurrentMapCacheManager> {

        private final List<String> calls;

        ConcurrentMapCustomizer(List<String> calls) {
            this.calls = calls;
        }

        @Override
        public void customize(ConcurrentMapCacheManager cacheManager) {
            calls.add("concurrent-map");
        }
    }
}
