package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two application contexts, as two instances of one service, on the same Redis: what one loads the
 * other reads without loading, and one's writes change what the other reads from Redis.
 *
 * <p>Instance B runs with L1 disabled for {@code books}, so that what B reads is exactly what Redis
 * holds; without cross-instance invalidation B's L1 could keep an older copy after A's write.
 */
class TwoInstancesShareRedisTests {

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.shared();

    private final ApplicationContextRunner instanceA = runner("A");

    private final ApplicationContextRunner instanceB = runner("B")
            .withPropertyValues("multi-tier-cache.caches.books.l1.enabled=false");




    @Test
    void secondInstanceReadsWhatTheFirstLoadedWithoutCallingItsLoader() {
        instanceA.run(a -> instanceB.run(b -> {
            BookService serviceA = a.getBean(BookService.class);
            BookService serviceB = b.getBean(BookService.class);

            assertThat(serviceA.find("1")).isEqualTo("book-1@A");
            assertThat(serviceB.find("1")).isEqualTo("book-1@A");
            assertThat(serviceB.find("1")).isEqualTo("book-1@A");

            assertThat(serviceA.calls("find")).isEqualTo(1);
            assertThat(serviceB.calls("find")).isZero();
        }));
    }

    @Test
    void secondInstanceWithL1FillsItsL1FromRedis() {
        // Without tracking, which drops every L1 on the FLUSHALL below (OutsideWritesTests).
        String untracked = "multi-tier-cache.invalidation.tracking.enabled=false";
        instanceA.withPropertyValues(untracked).run(a -> runner("C").withPropertyValues(untracked).run(c -> {
            BookService serviceA = a.getBean(BookService.class);
            BookService serviceC = c.getBean(BookService.class);

            serviceA.find("1");
            assertThat(serviceC.find("1")).isEqualTo("book-1@A");

            // Redis no longer has it; C still serves its L1 copy.
            redis.server().flushAll();
            assertThat(serviceC.find("1")).isEqualTo("book-1@A");
            assertThat(serviceC.calls("find")).isZero();
        }));
    }

    @Test
    void evictOnOneInstanceRemovesTheSharedEntry() {
        instanceA.run(a -> instanceB.run(b -> {
            BookService serviceA = a.getBean(BookService.class);
            BookService serviceB = b.getBean(BookService.class);
            serviceA.find("1");
            assertThat(serviceB.find("1")).isEqualTo("book-1@A");

            serviceA.evict("1");

            assertThat(redis.probe().exists("mtc:books:1")).isFalse();
            assertThat(serviceB.find("1")).isEqualTo("book-1@B");
            assertThat(serviceB.calls("find")).isEqualTo(1);
            assertThat(redis.probe().exists("mtc:books:1")).isTrue();
        }));
    }

    @Test
    void putOnOneInstanceIsReadFromRedisByAnother() {
        instanceA.run(a -> instanceB.run(b -> {
            BookService serviceA = a.getBean(BookService.class);
            BookService serviceB = b.getBean(BookService.class);
            serviceA.find("1");
            assertThat(serviceB.find("1")).isEqualTo("book-1@A");

            serviceA.rename("1", "Dune");

            assertThat(serviceB.find("1")).isEqualTo("Dune");
            assertThat(serviceB.calls("find")).isZero();
        }));
    }

    @Test
    void clearOnOneInstanceRemovesEveryKeyOfTheCacheForBoth() {
        instanceA.run(a -> instanceB.run(b -> {
            BookService serviceA = a.getBean(BookService.class);
            BookService serviceB = b.getBean(BookService.class);
            for (int i = 0; i < 20; i++) {
                serviceA.find(Integer.toString(i));
            }
            assertThat(redis.probe().keys("mtc:books:*")).hasSize(20);

            serviceB.evictAll();

            assertThat(redis.probe().keys("mtc:books:*")).isEmpty();
            assertThat(serviceB.find("3")).isEqualTo("book-3@B");
            assertThat(serviceB.calls("find")).isEqualTo(1);
        }));
    }

    @Test
    void l1FilledFromRedisLivesNoLongerThanTheRedisEntry() {
        String[] shortLived = { "multi-tier-cache.caches.short.l2.ttl=1s", "multi-tier-cache.caches.short.ttl-jitter=0" };
        instanceA.withPropertyValues(shortLived).run(a -> runner("C").withPropertyValues(shortLived).run(c -> {
            BookService serviceA = a.getBean(BookService.class);
            BookService serviceC = c.getBean(BookService.class);
            long loadedAt = System.nanoTime();
            assertThat(serviceA.findShort("1")).isEqualTo("short-1@A");
            Thread.sleep(300);

            // C's L1 (1m by default) is filled from Redis, so it must expire with the Redis entry.
            assertThat(serviceC.findShort("1")).isEqualTo("short-1@A");
            assertThat(serviceC.calls("findShort")).isZero();

            await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
                    .until(() -> serviceC.findShort("1"), value -> value.equals("short-1@C"));
            assertThat(Duration.ofNanos(System.nanoTime() - loadedAt)).isGreaterThan(Duration.ofMillis(900));
        }));
    }

    private static ApplicationContextRunner runner(String instance) {
        return redis.contextRunner()
            .withPropertyValues("instance=" + instance)
                .withUserConfiguration(ServiceConfiguration.class);
    }

    static class BookService {

        private final String instance;

        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        BookService(String instance) {
            this.instance = instance;
        }

        int calls(String method) {
            AtomicInteger count = calls.get(method);
            return (count != null) ? count.get() : 0;
        }

        @Cacheable("books")
        public String find(String id) {
            calls.computeIfAbsent("find", name -> new AtomicInteger()).incrementAndGet();
            return "book-" + id + "@" + instance;
        }

        @Cacheable("short")
        public String findShort(String id) {
            calls.computeIfAbsent("findShort", name -> new AtomicInteger()).incrementAndGet();
            return "short-" + id + "@" + instance;
        }

        @CachePut(cacheNames = "books", key = "#id")
        public String rename(String id, String title) {
            return title;
        }

        @CacheEvict("books")
        public void evict(String id) {
        }

        @CacheEvict(cacheNames = "books", allEntries = true)
        public void evictAll() {
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class ServiceConfiguration {

        @Bean
        BookService bookService(@Value("${instance}") String instance) {
            return new BookService(instance);
        }
    }
}
