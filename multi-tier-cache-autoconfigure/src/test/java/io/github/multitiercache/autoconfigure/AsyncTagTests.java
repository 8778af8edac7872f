package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.github.multitiercache.annotation.CacheEvictTags;
import io.github.multitiercache.annotation.MultiTierCacheable;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tags of {@code @MultiTierCacheable} methods returning a {@code CompletableFuture}, a {@code Mono}
 * and a {@code Flux}, loading through the cache ({@code Cache.retrieve(key, loader)}) or missing then
 * putting ({@code Cache.retrieve(key)}, then {@code put} once the value completed, on another
 * thread), in two application contexts on real Redis: a
 * tag eviction drops their cached values on both instances, and a value whose call started before an
 * eviction and completed after it is returned to its caller but not served from the cache.
 */
class AsyncTagTests {

    /** The invalidation bound of these instances, and a tolerance for a loaded 2-core machine. */
    private static final Duration BOUND = Duration.ofMillis(600 + 1_000);

    /** The "database" of every instance: a product's version, bumped by an update. */
    private static final Map<Long, AtomicInteger> VERSIONS = new ConcurrentHashMap<>();
    /** While a product has gates here, each call takes the next, and its value completes only when the gate does. */
    private static final Map<Long, Queue<CompletableFuture<Void>>> GATES = new ConcurrentHashMap<>();

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void stopAll() {
        contexts.forEach(ConfigurableApplicationContext::close);
        VERSIONS.clear();
        GATES.clear();
    }

    private Catalog instance(String name, String prefix) {
        RedisServer redis = RedisServer.shared();
        ConfigurableApplicationContext context = new SpringApplicationBuilder(CatalogConfiguration.class)
                .web(WebApplicationType.NONE)
                .properties("instance=" + name, "spring.data.redis.host=" + redis.host(),
                        "spring.data.redis.port=" + redis.port(), "multi-tier-cache.key-prefix=" + prefix,
                        "multi-tier-cache.invalidation.heartbeat-interval=100ms",
                        "multi-tier-cache.invalidation.max-staleness=600ms",
                        "multi-tier-cache.invalidation.degraded-l1-ttl=0ms",
                        "multi-tier-cache.defaults.l1.ttl=1h", "multi-tier-cache.defaults.l2.ttl=1h")
                .run();
        contexts.add(context);
        await().atMost(Duration.ofSeconds(10)).until(() -> context.getBean(InvalidationBus.class).isHealthy());
        return context.getBean(Catalog.class);
    }

    @Test
    void aCompletableFutureMethodLoadingThroughTheCacheCachesItsValueWithItsTags() {
        evictionDropsTheValueOnBothInstances("prices", catalog -> catalog::price, Catalog::priceCalls);
    }

    @Test
    void aCompletableFutureMethodMissingThenPuttingCachesItsValueWithItsTags() {
        evictionDropsTheValueOnBothInstances("stocks", catalog -> catalog::stock, Catalog::stockCalls);
    }

    @Test
    void aMonoMethodMissingThenPuttingCachesItsValueWithItsTags() {
        evictionDropsTheValueOnBothInstances("names", catalog -> id -> catalog.name(id).toFuture(), Catalog::nameCalls);
    }

    @Test
    void aMonoMethodLoadingThroughTheCacheCachesItsValueWithItsTags() {
        evictionDropsTheValueOnBothInstances("titles", catalog -> id -> catalog.title(id).toFuture(), Catalog::titleCalls);
    }

    @Test
    void aFluxMethodCachesItsCollectedValuesWithTheirTags() {
        evictionDropsTheValueOnBothInstances("reviews",
                catalog -> id -> catalog.reviews(id).collectList().toFuture().thenApply(String::valueOf),
                Catalog::reviewCalls);
    }

    @Test
    void aCompletableFutureMethodLoadingThroughTheCacheDoesNotServeAValueWhoseCallStartedBeforeAnEviction() {
        evictionWhilePendingDropsTheValue("prices", catalog -> catalog::price, Catalog::priceCalls);
    }

    @Test
    void aCompletableFutureMethodMissingThenPuttingDoesNotServeAValueWhoseCallStartedBeforeAnEviction() {
        evictionWhilePendingDropsTheValue("stocks", catalog -> catalog::stock, Catalog::stockCalls);
    }

    @Test
    void aMonoMethodMissingThenPuttingDoesNotServeAValueWhoseCallStartedBeforeAnEviction() {
        evictionWhilePendingDropsTheValue("names", catalog -> id -> catalog.name(id).toFuture(), Catalog::nameCalls);
    }

    @Test
    void aMonoMethodLoadingThroughTheCacheDoesNotServeAValueWhoseCallStartedBeforeAnEviction() {
        evictionWhilePendingDropsTheValue("titles", catalog -> id -> catalog.title(id).toFuture(), Catalog::titleCalls);
    }

    @Test
    void concurrentCallsOfOneKeyMissingThenPuttingAreAllTaggedAsOfTheEarliestStart() throws Exception {
        String prefix = "async-tags" + System.nanoTime();
        Catalog a = instance("A", prefix);
        CompletableFuture<Void> firstGate = new CompletableFuture<>();
        CompletableFuture<Void> secondGate = new CompletableFuture<>();
        GATES.put(4L, new ConcurrentLinkedQueue<>(List.of(firstGate, secondGate)));
        CompletableFuture<String> first = a.stock(4L);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.stockCalls().get() == 1);
        a.update(4L);
        CompletableFuture<String> second = a.stock(4L);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.stockCalls().get() == 2);
        secondGate.complete(null);
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo("stock 4 v1@A");
        firstGate.complete(null);
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("stock 4 v0@A");
        assertThat(a.stock(4L).get(5, TimeUnit.SECONDS)).as("neither put is served: each was made while the"
                + " call that started before the eviction was pending").isEqualTo("stock 4 v1@A");
        assertThat(a.stockCalls()).hasValue(3);
        assertThat(a.stock(4L).get(5, TimeUnit.SECONDS)).as("the calls ended: the next value is cached")
                .isEqualTo("stock 4 v1@A");
        assertThat(a.stockCalls()).hasValue(3);
    }

    @Test
    void aMethodOfTwoCachesMissingThenPuttingTagsItsValueInBoth() {
        Catalog a = instance("A", "async-tags" + System.nanoTime());
        assertThat(join(a.shelf(3L))).isEqualTo("shelf 3 v0@A");
        // Spring asks only the first cache (its miss), and puts into both.
        assertThat(cached(0, "shelves", 3L)).isEqualTo("shelf 3 v0@A");
        assertThat(cached(0, "shelfCopies", 3L)).isEqualTo("shelf 3 v0@A");

        a.update(3L);

        assertThat(lookup(0, "shelves", 3L)).isNull();
        assertThat(lookup(0, "shelfCopies", 3L)).isNull();
    }

    /**
     * A value cached by A is read by B from Redis; an update on A (evicting the product's tag) makes
     * both load it again.
     */
    private void evictionDropsTheValueOnBothInstances(String cache,
            Function<Catalog, Function<Long, CompletableFuture<String>>> method, Function<Catalog, AtomicInteger> calls) {
        String prefix = "async-tags" + System.nanoTime();
        Catalog a = instance("A", prefix);
        Catalog b = instance("B", prefix);
        String first = join(method.apply(a).apply(1L));
        assertThat(first).contains("1 v0@A");
        assertThat(cached(0, cache, 1L)).isEqualTo(first);
        assertThat(cached(1, cache, 1L)).isEqualTo(first);
        assertThat(join(method.apply(b).apply(1L))).as("A's value").isEqualTo(first);
        assertThat(join(method.apply(a).apply(1L))).as("from A's L1").isEqualTo(first);
        assertThat(calls.apply(a)).hasValue(1);
        assertThat(calls.apply(b)).hasValue(0);

        a.update(1L);

        assertThat(join(method.apply(a).apply(1L))).as("at once on the evicting instance").contains("1 v1@A");
        await().atMost(BOUND).until(() -> join(method.apply(b).apply(1L)).contains("1 v1@A"));
        assertThat(join(method.apply(a).apply(1L))).as("written after the eviction: served").contains("1 v1@A");
        assertThat(calls.apply(a)).hasValue(2);
    }

    /**
     * A's call reads version 0 and completes only after B's update evicted the tag: its caller gets
     * what it read, and neither instance serves it from the cache.
     */
    private void evictionWhilePendingDropsTheValue(String cache,
            Function<Catalog, Function<Long, CompletableFuture<String>>> method, Function<Catalog, AtomicInteger> calls) {
        String prefix = "async-tags" + System.nanoTime();
        Catalog a = instance("A", prefix);
        Catalog b = instance("B", prefix);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        GATES.put(2L, new ConcurrentLinkedQueue<>(List.of(gate)));
        CompletableFuture<String> pending = method.apply(a).apply(2L);
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.apply(a).get() == 1);
        b.update(2L);
        gate.complete(null);
        assertThat(join(pending)).as("the caller gets what its call read").contains("2 v0@A");
        assertThat(lookup(0, cache, 2L)).as("not served from A's cache").isNull();
        assertThat(lookup(1, cache, 2L)).as("not served from B's cache").isNull();
        assertThat(join(method.apply(a).apply(2L))).contains("2 v1@A");
        assertThat(calls.apply(a)).hasValue(2);
        assertThat(cached(1, cache, 2L)).as("the reload is cached").contains("2 v1@A");
        assertThat(join(method.apply(b).apply(2L))).contains("2 v1@A");
        assertThat(calls.apply(b)).hasValue(0);
    }

    /**
     * An asynchronous read does not wait for the record of a tag the instance does not know (it is a
     * miss that time, and the record is fetched in the background): this synchronous read fetches it.
     * @return the value the instance's cache holds for the key, as a string
     */
    private String cached(int instance, String cache, Long key) {
        ValueWrapper wrapper = lookup(instance, cache, key);
        assertThat(wrapper).as("cached").isNotNull();
        return String.valueOf(wrapper.get());
    }

    private @Nullable ValueWrapper lookup(int instance, String cache, Long key) {
        return contexts.get(instance).getBean(MultiTierCacheManager.class).getCache(cache).get(key);
    }

    private static String join(CompletableFuture<String> future) {
        try {
            return future.get(10, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The application of each instance: each method's value is computed when it is called. */
    static class Catalog {

        final String instance;
        final AtomicInteger priceCalls = new AtomicInteger();
        final AtomicInteger stockCalls = new AtomicInteger();
        final AtomicInteger nameCalls = new AtomicInteger();
        final AtomicInteger reviewCalls = new AtomicInteger();
        final AtomicInteger titleCalls = new AtomicInteger();

        Catalog(String instance) {
            this.instance = instance;
        }

        // Read through methods: the fields of the caching proxy are not the bean's.
        public AtomicInteger priceCalls() {
            return priceCalls;
        }

        public AtomicInteger stockCalls() {
            return stockCalls;
        }

        public AtomicInteger nameCalls() {
            return nameCalls;
        }

        public AtomicInteger reviewCalls() {
            return reviewCalls;
        }

        public AtomicInteger titleCalls() {
            return titleCalls;
        }

        /** @return the product's value as read now, completing on another thread (once its gate opens) */
        private CompletableFuture<String> read(String what, Long id) {
            String value = what + " " + id + " v" + VERSIONS.computeIfAbsent(id, key -> new AtomicInteger()).get()
                    + "@" + instance;
            Queue<CompletableFuture<Void>> gates = GATES.get(id);
            CompletableFuture<Void> gate = (gates != null) ? gates.poll() : null;
            if (gate == null) {
                gate = CompletableFuture.completedFuture(null);
            }
            return gate.thenApplyAsync(ignored -> value, CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS));
        }

        @MultiTierCacheable(cacheNames = "prices", sync = true, tags = "'product:' + #id")
        public CompletableFuture<String> price(Long id) {
            priceCalls.incrementAndGet();
            return read("price", id);
        }

        // With unless, Spring misses with retrieve(key), then puts the completed value (no load-through).
        @MultiTierCacheable(cacheNames = "stocks", unless = "#result == null", tags = "'product:' + #id")
        public CompletableFuture<String> stock(Long id) {
            stockCalls.incrementAndGet();
            return read("stock", id);
        }

        @MultiTierCacheable(cacheNames = "names", unless = "#result == null", tags = "'product:' + #id")
        public Mono<String> name(Long id) {
            nameCalls.incrementAndGet();
            return Mono.fromFuture(read("name", id));
        }

        @MultiTierCacheable(cacheNames = "reviews", unless = "#result == null",
                tags = { "'product:' + #id", "'reviews:' + #result.size()" })
        public Flux<String> reviews(Long id) {
            reviewCalls.incrementAndGet();
            return Mono.fromFuture(read("review", id)).flatMapMany(text -> Flux.just(text + " #1", text + " #2"));
        }

        /** Two caches: Spring misses with {@code retrieve(key)} on the first, and puts into both. */
        @MultiTierCacheable(cacheNames = { "shelves", "shelfCopies" }, tags = "'product:' + #id")
        public CompletableFuture<String> shelf(Long id) {
            return read("shelf", id);
        }

        /** Loads through the cache ({@code retrieve(key, loader)}), as a plain method does. */
        @MultiTierCacheable(cacheNames = "titles", tags = "'product:' + #id")
        public Mono<String> title(Long id) {
            titleCalls.incrementAndGet();
            return Mono.fromFuture(read("title", id));
        }

        @CacheEvictTags("'product:' + #id")
        public void update(Long id) {
            VERSIONS.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, CacheAutoConfiguration.class,
            MultiTierCacheAutoConfiguration.class })
    static class CatalogConfiguration {

        @Bean
        Catalog catalog(@Value("${instance}") String instance) {
            return new Catalog(instance);
        }
    }
}
