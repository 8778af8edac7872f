package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.annotation.MultiTierCacheable;
import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.CacheConfig;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MultiTierCacheable}: its tier options reach the cache's settings in the documented order
 * (defaults &lt; annotation &lt; per-cache configuration), contradictions and invalid values fail the
 * startup naming the method, and the annotated method caches exactly like {@code @Cacheable}.
 */
class MultiTierCacheableAnnotationTests {

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.shared();

    private final ApplicationContextRunner contextRunner = redis.contextRunner()
            .withUserConfiguration(CachingConfiguration.class);




    @Test
    void annotationOptionsReachTheCacheSettings() {
        contextRunner.withUserConfiguration(BookServiceConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            CacheSettings settings = settingsOf(context, "x");
            assertThat(settings.l1Ttl()).isEqualTo(Duration.ofSeconds(30));
            assertThat(settings.l2Ttl()).isEqualTo(Duration.ofMinutes(5));
            assertThat(settings.nullTtl()).isEqualTo(CacheSettings.defaults().nullTtl());
        });
    }

    @Test
    void perCacheConfigurationWinsOverTheAnnotationAndTheAnnotationOverDefaults() {
        contextRunner.withUserConfiguration(BookServiceConfiguration.class)
                .withPropertyValues("multi-tier-cache.caches.x.l2.ttl=1m",
                        "multi-tier-cache.defaults.l1.ttl=10s",
                        "multi-tier-cache.defaults.l2.ttl=20m",
                        "multi-tier-cache.defaults.null-ttl=7s")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    CacheSettings settings = settingsOf(context, "x");
                    assertThat(settings.l2Ttl()).as("per-cache configuration over annotation")
                            .isEqualTo(Duration.ofMinutes(1));
                    assertThat(settings.l1Ttl()).as("annotation over defaults").isEqualTo(Duration.ofSeconds(30));
                    assertThat(settings.nullTtl()).as("defaults where the annotation is silent")
                            .isEqualTo(Duration.ofSeconds(7));
                });
    }

    @Test
    void annotationOnlyCacheIsCreatedOnFirstUseWithItsOptions() {
        contextRunner.withUserConfiguration(BookServiceConfiguration.class).run(context -> {
            MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
            context.getBean(BookService.class).find("1");
            assertThat(manager.getCaches()).extracting(MultiTierCache::getName).containsExactly("x");
            assertThat(settingsOf(context, "x").l2Ttl()).isEqualTo(Duration.ofMinutes(5));
        });
    }

    @Test
    void optionsOnTheClassApplyToTheCacheConfigCache() {
        contextRunner.withUserConfiguration(ClassLevelServiceConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            CacheSettings settings = settingsOf(context, "classLevel");
            assertThat(settings.l2Ttl()).isEqualTo(Duration.ofHours(2));
            assertThat(settings.cacheNullValues()).isFalse();
            assertThat(settings.l1MaximumSize()).isEqualTo(77);
        });
    }

    @Test
    void conflictingOptionsOnTwoMethodsFailTheStartupNamingBothMethods() {
        contextRunner.withUserConfiguration(ConflictingServiceConfiguration.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("'x'")
                    .hasMessageContaining("l2.ttl")
                    .hasMessageContaining(ConflictingService.class.getName() + ".first(String)")
                    .hasMessageContaining(ConflictingService.class.getName() + ".second(String)");
        });
    }

    @Test
    void conflictingOptionsInTwoBeansFailTheStartupNamingBothMethods() {
        contextRunner.withUserConfiguration(BookServiceConfiguration.class, OtherXServiceConfiguration.class)
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("l1.ttl")
                            .hasMessageContaining(BookService.class.getName() + ".find(String)")
                            .hasMessageContaining(OtherXService.class.getName() + ".lookup(String)");
                });
    }

    @Test
    void agreeingOptionsOnTwoMethodsAreAccepted() {
        contextRunner.withUserConfiguration(BookServiceConfiguration.class, AgreeingServiceConfiguration.class)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    CacheSettings settings = settingsOf(context, "x");
                    assertThat(settings.l1Ttl()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(settings.l2Ttl()).isEqualTo(Duration.ofMinutes(5));
                    assertThat(settings.nullTtl()).isEqualTo(Duration.ofSeconds(3));
                });
    }

    @Test
    void invalidDurationFailsTheStartupNamingTheMethod() {
        contextRunner.withUserConfiguration(BadDurationServiceConfiguration.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasStackTraceContaining("'30 seconds' is not a duration");
            assertThat(context.getStartupFailure()).hasStackTraceContaining(
                    "Invalid @MultiTierCacheable on " + BadDurationService.class.getName() + ".find(String)");
        });
    }

    @Test
    void annotationValueThatMakesInvalidSettingsFailsTheStartup() {
        contextRunner.withUserConfiguration(BadJitterServiceConfiguration.class)
                .withPropertyValues("multi-tier-cache.caches.jitter.l2.ttl=1m")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("ttl-jitter");
                    assertThat(context.getStartupFailure()).hasStackTraceContaining("'jitter'");
                });
    }

    @Test
    void annotationValueThatMakesInvalidSettingsFailsTheStartupWithoutConfigurationOfTheCache() {
        contextRunner.withUserConfiguration(BadJitterServiceConfiguration.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("ttl-jitter");
            assertThat(context.getStartupFailure()).hasStackTraceContaining("'jitter'");
        });
    }

    @Test
    void annotatedMethodCachesLikeCacheable() {
        contextRunner.withUserConfiguration(BookServiceConfiguration.class).run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.find("42")).isEqualTo("book-42");
            assertThat(service.find("42")).isEqualTo("book-42");

            assertThat(service.calls()).isEqualTo(1);
            assertThat(redis.probe().exists("mtc:x:42")).isTrue();
            long ttl = redis.probe().pttl("mtc:x:42");
            // 5m spread by the default ±10 %
            assertThat(ttl).isBetween(Duration.ofSeconds(260).toMillis(), Duration.ofSeconds(330).toMillis());

            // Served from Redis once this instance's L1 is gone.
            context.getBean(MultiTierCacheManager.class).clearLocal();
            assertThat(service.find("42")).isEqualTo("book-42");
            assertThat(service.calls()).isEqualTo(1);
        });
    }

    private static CacheSettings settingsOf(AssertableApplicationContext context, String cacheName) {
        MultiTierCache cache = context.getBean(MultiTierCacheManager.class).getCache(cacheName);
        assertThat(cache).as("cache %s", cacheName).isNotNull();
        return cache.getNativeCache().settings();
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingConfiguration {
    }

    static class BookService {

        private final AtomicInteger calls = new AtomicInteger();

        @MultiTierCacheable(cacheNames = "x", l1Ttl = "30s", l2Ttl = "5m")
        public String find(String id) {
            calls.incrementAndGet();
            return "book-" + id;
        }

        public int calls() {
            return calls.get();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class BookServiceConfiguration {

        @Bean
        BookService bookService() {
            return new BookService();
        }
    }

    @CacheConfig(cacheNames = "classLevel")
    @MultiTierCacheable(l2Ttl = "2h", cacheNullValues = MultiTierCacheable.Toggle.FALSE, l1MaximumSize = 77)
    static class ClassLevelService {

        public String find(String id) {
            return id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ClassLevelServiceConfiguration {

        @Bean
        ClassLevelService classLevelService() {
            return new ClassLevelService();
        }
    }

    static class ConflictingService {

        @MultiTierCacheable(cacheNames = "x", l2Ttl = "5m")
        public String first(String id) {
            return id;
        }

        @MultiTierCacheable(cacheNames = "x", l2Ttl = "10m")
        public String second(String id) {
            return id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ConflictingServiceConfiguration {

        @Bean
        ConflictingService conflictingService() {
            return new ConflictingService();
        }
    }

    static class OtherXService {

        @MultiTierCacheable(cacheNames = "x", l1Ttl = "45s")
        public String lookup(String id) {
            return id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OtherXServiceConfiguration {

        @Bean
        OtherXService otherXService() {
            return new OtherXService();
        }
    }

    static class AgreeingService {

        @MultiTierCacheable(cacheNames = "x", l2Ttl = "5m", nullTtl = "3s")
        public String lookup(String id) {
            return id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class AgreeingServiceConfiguration {

        @Bean
        AgreeingService agreeingService() {
            return new AgreeingService();
        }
    }

    static class BadDurationService {

        @MultiTierCacheable(cacheNames = "bad", l1Ttl = "30 seconds")
        public String find(String id) {
            return id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class BadDurationServiceConfiguration {

        @Bean
        BadDurationService badDurationService() {
            return new BadDurationService();
        }
    }

    static class BadJitterService {

        @MultiTierCacheable(cacheNames = "jitter", ttlJitter = 1.5)
        public String find(String id) {
            return id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class BadJitterServiceConfiguration {

        @Bean
        BadJitterService badJitterService() {
            return new BadJitterService();
        }
    }
}
