package io.github.multitiercache.autoconfigure;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.CacheStatistics;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.spring.CacheableL1HitAdvisor;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.Caching;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.interceptor.CacheAspectSupport;
import org.springframework.cache.interceptor.CacheOperation;
import org.springframework.cache.interceptor.CacheOperationSource;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * L1 hits of simple {@code @Cacheable} methods are answered before Spring's cache interceptor, with
 * the result and the counts Spring's path would give; every other call still goes through Spring.
 *
 * <p>Whether Spring's interceptor ran is seen through its operation source: it asks the source for
 * the method's cache operations on every call it handles.
 */
class CacheableL1HitShortcutTests {

    private static final RedisServer redis = RedisServer.shared();

    private final ApplicationContextRunner withoutService = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
                    MultiTierCacheAutoConfiguration.class, CacheAutoConfiguration.class))
            .withPropertyValues("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                    "multi-tier-cache.key-prefix=shortcut",
                    // Counts of one instance's L1 hits right after its own loads, which tracking's push of
                    // each own write drops once (docs/invalidation.md, "Writes from outside").
                    "multi-tier-cache.invalidation.tracking.enabled=false");

    private final ApplicationContextRunner contextRunner = withoutService.withUserConfiguration(ServiceConfiguration.class);

    @BeforeEach
    void flush() {
        redis.flushAll();
    }

    @Test
    void anL1HitOfASimpleCacheableMethodIsAnsweredWithoutSpringsInterceptorAndCountedOnce() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            assertThat(service.find("a")).isEqualTo("value-a");
            CountingSource source = countSpringsCalls(context);
            CacheStatistics statistics = engine(context, "plain").statistics();
            long hits = statistics.hits();
            long l1Hits = statistics.l1Hits();
            long l1Misses = statistics.l1Misses();
            for (int i = 0; i < 10; i++) {
                assertThat(service.find("a")).isEqualTo("value-a");
            }
            assertThat(service.calls()).isEqualTo(1);
            assertThat(source.lookups.get()).as("calls that reached Spring's interceptor").isZero();
            assertThat(statistics.l1Hits() - l1Hits).isEqualTo(10);
            assertThat(statistics.hits() - hits).isEqualTo(10);
            assertThat(statistics.l1Misses()).isEqualTo(l1Misses);
        });
    }

    @Test
    void anL1MissGoesThroughSpringsInterceptorAndIsCountedOnce() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            service.find("warm");
            CountingSource source = countSpringsCalls(context);
            CacheStatistics statistics = engine(context, "plain").statistics();
            long l1Misses = statistics.l1Misses();
            long misses = statistics.misses();
            assertThat(service.find("b")).isEqualTo("value-b");
            assertThat(source.lookups.get()).isEqualTo(1);
            assertThat(statistics.l1Misses() - l1Misses).isEqualTo(1);
            assertThat(statistics.misses() - misses).isEqualTo(1);
        });
    }

    @Test
    void aKeyEvictedFromL1IsLoadedAgain() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            service.find("c");
            service.find("c");
            engine(context, "plain").evict("c");
            assertThat(service.find("c")).isEqualTo("value-c");
            assertThat(service.calls()).isEqualTo(2);
        });
    }

    @Test
    void anEvictByAnotherInstanceEndsTheHitsOfTheOldValue() {
        contextRunner.run(a -> contextRunner.run(b -> {
            Service serviceA = a.getBean(Service.class);
            assertThat(serviceA.find("e")).isEqualTo("value-e");
            assertThat(serviceA.find("e")).isEqualTo("value-e");
            engine(b, "plain").put("e", "changed-e");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(serviceA.find("e")).isEqualTo("changed-e"));
            assertThat(serviceA.calls()).isEqualTo(1);
        }));
    }

    @Test
    void aFalseConditionBypassesTheCacheEvenWhenL1HoldsTheKey() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            TieredCache conditional = engine(context, "conditional");
            conditional.put("x", "cached-x");
            assertThat(conditional.lookup("x")).isNotNull();
            assertThat(service.findConditional("x")).isEqualTo("value-x");
            assertThat(service.findConditional("x")).isEqualTo("value-x");
            assertThat(service.calls()).isEqualTo(2);
        });
    }

    @Test
    void aKeyExpressionIsEvaluatedBySpring() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            engine(context, "byKey").put("a", "wrong");
            assertThat(service.findByKey("a")).isEqualTo("value-a");
            CountingSource source = countSpringsCalls(context);
            assertThat(service.findByKey("a")).isEqualTo("value-a");
            assertThat(service.calls()).isEqualTo(1);
            assertThat(source.lookups.get()).as("a hit served by Spring's interceptor").isEqualTo(1);
            assertThat(engine(context, "byKey").lookup("k-a")).isNotNull();
        });
    }

    @Test
    void aMethodWithTwoCacheOperationsKeepsSpringsPath() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            service.findInTwo("t");
            CountingSource source = countSpringsCalls(context);
            assertThat(service.findInTwo("t")).isEqualTo("value-t");
            assertThat(source.lookups.get()).isEqualTo(1);
            assertThat(service.calls()).isEqualTo(1);
        });
    }

    @Test
    void optionalResultsAndCachedNullsAreReturnedAsSpringReturnsThem() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            assertThat(service.findOptional("o")).contains("value-o");
            assertThat(service.findOptional("none")).isEmpty();
            assertThat(service.findNullable("none")).isNull();
            CountingSource source = countSpringsCalls(context);
            assertThat(service.findOptional("o")).contains("value-o");
            assertThat(service.findOptional("none")).isEmpty();
            assertThat(service.findNullable("none")).isNull();
            assertThat(source.lookups.get()).isZero();
            assertThat(service.calls()).isEqualTo(3);
        });
    }

    @Test
    void aMethodReturningAFutureKeepsSpringsPath() {
        contextRunner.run(context -> {
            Service service = context.getBean(Service.class);
            assertThat(service.findLater("f").join()).isEqualTo("value-f");
            CountingSource source = countSpringsCalls(context);
            assertThat(service.findLater("f").join()).isEqualTo("value-f");
            assertThat(source.lookups.get()).isEqualTo(1);
            assertThat(service.calls()).isEqualTo(1);
        });
    }

    @Test
    void theShortcutRunsJustBeforeSpringsCacheAdvisor() {
        withoutService.withUserConfiguration(OrderedCaching.class).run(context -> {
            assertThat(context.getBean(CacheableL1HitAdvisor.class).getOrder()).isEqualTo(99);
        });
    }

    @Test
    void theShortcutCanBeSwitchedOff() {
        contextRunner.withPropertyValues("multi-tier-cache.l1-hit-shortcut=false").run(context -> {
            assertThat(context).doesNotHaveBean(CacheableL1HitAdvisor.class);
            Service service = context.getBean(Service.class);
            service.find("s");
            CountingSource source = countSpringsCalls(context);
            assertThat(service.find("s")).isEqualTo("value-s");
            assertThat(source.lookups.get()).isEqualTo(1);
            assertThat(service.calls()).isEqualTo(1);
        });
    }

    @Test
    void oneInterfaceMethodOfTwoBeansIsAnsweredForEachFromItsOwnCache() {
        withoutService.withUserConfiguration(CatalogConfiguration.class).run(context -> {
            // Interface proxies of both beans: their calls pass the interface's one Method object.
            Catalog books = context.getBean("bookCatalog", Catalog.class);
            Catalog films = context.getBean("filmCatalog", Catalog.class);
            assertThat(books.find("a")).isEqualTo("book-a");
            assertThat(films.find("a")).isEqualTo("film-a");
            CountingSource source = countSpringsCalls(context);

            for (int i = 0; i < 3; i++) {
                assertThat(books.find("a")).isEqualTo("book-a");
                assertThat(films.find("a")).isEqualTo("film-a");
            }

            assertThat(source.lookups.get()).as("calls that reached Spring's interceptor").isZero();
            assertThat(engine(context, "books").statistics().l1Hits()).isEqualTo(3);
            assertThat(engine(context, "films").statistics().l1Hits()).isEqualTo(3);
        });
    }

    private static TieredCache engine(ApplicationContext context, String name) {
        return context.getBean(MultiTierCacheManager.class).getCache(name).getNativeCache();
    }

    private static CountingSource countSpringsCalls(ApplicationContext context) {
        CacheAspectSupport interceptor = context.getBean(CacheAspectSupport.class);
        CountingSource counting = new CountingSource(interceptor.getCacheOperationSource());
        interceptor.setCacheOperationSource(counting);
        return counting;
    }

    private static final class CountingSource implements CacheOperationSource {

        private final CacheOperationSource delegate;
        final AtomicInteger lookups = new AtomicInteger();

        CountingSource(@Nullable CacheOperationSource delegate) {
            assertThat(delegate).isNotNull();
            this.delegate = delegate;
        }

        @Override
        public boolean isCandidateClass(Class<?> targetClass) {
            return delegate.isCandidateClass(targetClass);
        }

        @Override
        public boolean hasCacheOperations(Method method, @Nullable Class<?> targetClass) {
            return delegate.hasCacheOperations(method, targetClass);
        }

        @Override
        public @Nullable Collection<CacheOperation> getCacheOperations(Method method, @Nullable Class<?> targetClass) {
            lookups.incrementAndGet();
            return delegate.getCacheOperations(method, targetClass);
        }
    }

    static class Service {

        private final AtomicInteger calls = new AtomicInteger();

        /** @return how often a method body ran (a method: the bean is a proxy) */
        public int calls() {
            return calls.get();
        }

        @Cacheable("plain")
        public String find(String id) {
            calls.incrementAndGet();
            return "value-" + id;
        }

        @Cacheable(cacheNames = "conditional", condition = "#id.length() > 1")
        public String findConditional(String id) {
            calls.incrementAndGet();
            return "value-" + id;
        }

        @Cacheable(cacheNames = "byKey", key = "'k-' + #id")
        public String findByKey(String id) {
            calls.incrementAndGet();
            return "value-" + id;
        }

        @Caching(cacheable = { @Cacheable("first"), @Cacheable("second") })
        public String findInTwo(String id) {
            calls.incrementAndGet();
            return "value-" + id;
        }

        @Cacheable("optional")
        public Optional<String> findOptional(String id) {
            calls.incrementAndGet();
            return "none".equals(id) ? Optional.empty() : Optional.of("value-" + id);
        }

        @Cacheable("nullable")
        public @Nullable String findNullable(String id) {
            calls.incrementAndGet();
            return null;
        }

        @Cacheable("later")
        public CompletableFuture<String> findLater(String id) {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture("value-" + id);
        }
    }

    interface Catalog {

        String find(String id);
    }

    static class BookCatalog implements Catalog {

        @Override
        @Cacheable("books")
        public String find(String id) {
            return "book-" + id;
        }
    }

    static class FilmCatalog implements Catalog {

        @Override
        @Cacheable("films")
        public String find(String id) {
            return "film-" + id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CatalogConfiguration {

        @Bean
        Catalog bookCatalog() {
            return new BookCatalog();
        }

        @Bean
        Catalog filmCatalog() {
            return new FilmCatalog();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class ServiceConfiguration {

        @Bean
        Service service() {
            return new Service();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching(order = 100)
    static class OrderedCaching {
    }
}
