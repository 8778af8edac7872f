package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.spring.MultiTierCacheManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.CacheConfig;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.Caching;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Plain Spring caching annotations on a service, over the multi-tier caches and a real Redis:
 * every annotation works unchanged and leaves Redis in the state its semantics ask for.
 */
class SpringCachingAnnotationsTests {

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.shared();

    private final ApplicationContextRunner contextRunner = redis.contextRunner()
            .withPropertyValues("multi-tier-cache.serialization.allowed-packages=io.github.multitiercache.autoconfigure")
            .withUserConfiguration(ServiceConfiguration.class);




    @Test
    void cacheableInvokesTheMethodOnceAndStoresTheResultInRedis() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.find("1")).isEqualTo("book-1");
            assertThat(service.find("1")).isEqualTo("book-1");

            assertThat(service.calls("find")).isEqualTo(1);
            assertThat(redis.probe().keys("mtc:books:*")).containsExactly("mtc:books:1");
            assertThat(redis.probe().pttl("mtc:books:1")).isPositive();
        });
    }

    @Test
    void cacheableServesFromRedisWhenL1IsEmpty() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            service.find("1");

            context.getBean(MultiTierCacheManager.class).clearLocal();

            assertThat(service.find("1")).isEqualTo("book-1");
            assertThat(service.calls("find")).isEqualTo(1);
        });
    }

    @Test
    void cacheConfigSuppliesTheCacheNameOfUnnamedOperations() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            service.find("7");
            service.findSync("8");

            // Neither method names a cache: both use the class's @CacheConfig("books").
            assertThat(redis.probe().keys("*")).containsExactlyInAnyOrder("mtc:books:7", "mtc:books:8");
        });
    }

    @Test
    void cacheableWithSyncInvokesTheMethodOnceForConcurrentCallers() throws Exception {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            int callers = 8;
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        return service.findSync("slow");
                    }));
                }
                start.countDown();
                for (Future<String> result : results) {
                    assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("book-slow");
                }
            }
            finally {
                pool.shutdownNow();
            }
            assertThat(service.calls("findSync")).isEqualTo(1);
            assertThat(redis.probe().exists("mtc:books:slow")).isTrue();
        });
    }

    @Test
    void cachePutReplacesTheValueInBothTiers() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            assertThat(service.find("1")).isEqualTo("book-1");

            assertThat(service.rename("1", "Dune")).isEqualTo("Dune");

            assertThat(service.find("1")).isEqualTo("Dune");
            context.getBean(MultiTierCacheManager.class).clearLocal();
            assertThat(service.find("1")).as("from Redis").isEqualTo("Dune");
            assertThat(service.calls("find")).isEqualTo(1);
            assertThat(service.calls("rename")).isEqualTo(1);
        });
    }

    @Test
    void cacheEvictByKeyRemovesOnlyThatKeyFromBothTiers() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            service.find("1");
            service.find("2");

            service.evict("1");

            assertThat(redis.probe().keys("mtc:books:*")).containsExactly("mtc:books:2");
            service.find("1");
            service.find("2");
            assertThat(service.calls("find")).isEqualTo(3);
        });
    }

    @Test
    void cacheEvictAllEntriesRemovesEveryKeyOfTheCacheFromRedis() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            for (int i = 0; i < 2500; i++) {
                service.find(Integer.toString(i));
            }
            service.findAuthor("tolkien");
            assertThat(redis.probe().keys("mtc:books:*")).hasSize(2500);

            service.evictAll();

            assertThat(redis.probe().keys("mtc:books:*")).isEmpty();
            assertThat(redis.probe().keys("*")).as("other caches keep their keys").containsExactly("mtc:authors:tolkien");
            service.find("1");
            assertThat(service.calls("find")).isEqualTo(2501);
        });
    }

    @Test
    void cachingCombinesSeveralOperations() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.findInBoth("9")).isEqualTo("both-9");
            assertThat(service.findInBoth("9")).isEqualTo("both-9");

            assertThat(service.calls("findInBoth")).isEqualTo(1);
            assertThat(redis.probe().keys("*")).containsExactlyInAnyOrder("mtc:primary:9", "mtc:secondary:9");

            service.evictFromBoth("9");

            assertThat(redis.probe().keys("*")).isEmpty();
            service.findInBoth("9");
            assertThat(service.calls("findInBoth")).isEqualTo(2);
        });
    }

    @Test
    void nullResultIsCached() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.findMissing("404")).isNull();
            assertThat(service.findMissing("404")).isNull();
            assertThat(service.calls("findMissing")).isEqualTo(1);
            assertThat(redis.probe().exists("mtc:missing:404")).isTrue();
            // A cached null lives for the null TTL (30s by default, ±10 %).
            assertThat(redis.probe().pttl("mtc:missing:404")).isBetween(1L, Duration.ofSeconds(33).toMillis());

            context.getBean(MultiTierCacheManager.class).clearLocal();
            assertThat(service.findMissing("404")).as("from Redis").isNull();
            assertThat(service.calls("findMissing")).isEqualTo(1);
        });
    }

    @Test
    void recordValueRoundTripsThroughRedis() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);
            Book first = service.findBook(3L);

            context.getBean(MultiTierCacheManager.class).clearLocal();

            Book second = service.findBook(3L);
            assertThat(second).isEqualTo(first).isNotSameAs(first);
            assertThat(service.calls("findBook")).isEqualTo(1);
        });
    }

    @Test
    void completableFutureResultIsCached() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.findAsync("1").get(5, TimeUnit.SECONDS)).isEqualTo("async-1");
            assertThat(service.findAsync("1").get(5, TimeUnit.SECONDS)).isEqualTo("async-1");
            assertThat(service.calls("findAsync")).isEqualTo(1);

            await().atMost(Duration.ofSeconds(5)).until(() -> redis.probe().exists("mtc:futures:1"));
            context.getBean(MultiTierCacheManager.class).clearLocal();
            assertThat(service.findAsync("1").get(5, TimeUnit.SECONDS)).as("from Redis").isEqualTo("async-1");
            assertThat(service.calls("findAsync")).isEqualTo(1);
        });
    }

    @Test
    void completableFutureResultWithSyncIsCached() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.findAsyncSync("1").get(5, TimeUnit.SECONDS)).isEqualTo("async-1");
            assertThat(service.findAsyncSync("1").get(5, TimeUnit.SECONDS)).isEqualTo("async-1");
            assertThat(service.calls("findAsyncSync")).isEqualTo(1);

            await().atMost(Duration.ofSeconds(5)).until(() -> redis.probe().exists("mtc:futuresSync:1"));
            context.getBean(MultiTierCacheManager.class).clearLocal();
            assertThat(service.findAsyncSync("1").get(5, TimeUnit.SECONDS)).as("from Redis").isEqualTo("async-1");
            assertThat(service.calls("findAsyncSync")).isEqualTo(1);
        });
    }

    @Test
    void monoResultIsCached() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.findMono("1").block(Duration.ofSeconds(5))).isEqualTo("mono-1");
            assertThat(service.findMono("1").block(Duration.ofSeconds(5))).isEqualTo("mono-1");
            assertThat(service.calls("findMono")).isEqualTo(1);

            await().atMost(Duration.ofSeconds(5)).until(() -> redis.probe().exists("mtc:monos:1"));
            context.getBean(MultiTierCacheManager.class).clearLocal();
            assertThat(service.findMono("1").block(Duration.ofSeconds(5))).as("from Redis").isEqualTo("mono-1");
            assertThat(service.calls("findMono")).isEqualTo(1);
        });
    }

    @Test
    void fluxResultIsCached() {
        contextRunner.run(context -> {
            BookService service = context.getBean(BookService.class);

            assertThat(service.findFlux("1").collectList().block(Duration.ofSeconds(5)))
                    .containsExactly("a-1", "b-1");
            assertThat(service.findFlux("1").collectList().block(Duration.ofSeconds(5)))
                    .containsExactly("a-1", "b-1");
            assertThat(service.calls("findFlux")).isEqualTo(1);

            await().atMost(Duration.ofSeconds(5)).until(() -> redis.probe().exists("mtc:fluxes:1"));
            context.getBean(MultiTierCacheManager.class).clearLocal();
            assertThat(service.findFlux("1").collectList().block(Duration.ofSeconds(5))).as("from Redis")
                    .containsExactly("a-1", "b-1");
            assertThat(service.calls("findFlux")).isEqualTo(1);
        });
    }

    /** A value type of the application, read back from Redis through the allow-listed package. */
    record Book(long id, String title, List<String> authors) {
    }

    @CacheConfig(cacheNames = "books")
    static class BookService {

        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        int calls(String method) {
            AtomicInteger count = calls.get(method);
            return (count != null) ? count.get() : 0;
        }

        private void called(String method) {
            calls.computeIfAbsent(method, name -> new AtomicInteger()).incrementAndGet();
        }

        @Cacheable
        public String find(String id) {
            called("find");
            return "book-" + id;
        }

        @Cacheable(sync = true)
        public String findSync(String id) throws InterruptedException {
            called("findSync");
            Thread.sleep(200);
            return "book-" + id;
        }

        @CachePut(key = "#id")
        public String rename(String id, String title) {
            called("rename");
            return title;
        }

        @CacheEvict
        public void evict(String id) {
            called("evict");
        }

        @CacheEvict(allEntries = true)
        public void evictAll() {
            called("evictAll");
        }

        @Cacheable("authors")
        public String findAuthor(String id) {
            called("findAuthor");
            return "author-" + id;
        }

        @Caching(cacheable = { @Cacheable("primary"), @Cacheable("secondary") })
        public String findInBoth(String id) {
            called("findInBoth");
            return "both-" + id;
        }

        @Caching(evict = { @CacheEvict("primary"), @CacheEvict("secondary") })
        public void evictFromBoth(String id) {
            called("evictFromBoth");
        }

        @Cacheable("missing")
        public String findMissing(String id) {
            called("findMissing");
            return null;
        }

        @Cacheable("records")
        public Book findBook(long id) {
            called("findBook");
            return new Book(id, "title-" + id, List.of("a", "b"));
        }

        @Cacheable("futures")
        public CompletableFuture<String> findAsync(String id) {
            called("findAsync");
            return CompletableFuture.supplyAsync(() -> "async-" + id);
        }

        @Cacheable(cacheNames = "futuresSync", sync = true)
        public CompletableFuture<String> findAsyncSync(String id) {
            called("findAsyncSync");
            return CompletableFuture.supplyAsync(() -> "async-" + id);
        }

        @Cacheable("monos")
        public Mono<String> findMono(String id) {
            called("findMono");
            return Mono.fromSupplier(() -> "mono-" + id);
        }

        @Cacheable("fluxes")
        public Flux<String> findFlux(String id) {
            called("findFlux");
            return Flux.just("a-" + id, "b-" + id);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class ServiceConfiguration {

        @Bean
        BookService bookService() {
            return new BookService();
        }
    }
}
