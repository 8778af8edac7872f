package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.annotation.CacheEvictTags;
import io.github.multitiercache.annotation.CacheableAll;
import io.github.multitiercache.annotation.MultiTierCacheable;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.FaultProxy;
import io.github.multitiercache.testsupport.RedisCluster;
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
import org.springframework.cache.Cache;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tags in several application contexts on real Redis, standalone and a 3-master cluster:
 * {@code @CacheEvictTags} on one instance drops the entries carrying the tag on every instance (L1,
 * Redis, a hot key's replicas), including when the other instance lost the message (a cut link),
 * and after a Redis restart.
 */
class TagEvictionTests {

    /** The invalidation bound of these instances, and a tolerance for a loaded 2-core machine. */
    private static final Duration BOUND = Duration.ofMillis(600 + 1_000);

    /** The "database" of every instance: a product's version, bumped by an update. */
    private static final Map<Long, AtomicInteger> VERSIONS = new ConcurrentHashMap<>();

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        contexts.forEach(ConfigurableApplicationContext::close);
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        VERSIONS.clear();
    }

    private ConfigurableApplicationContext instance(String name, String prefix, String... redis) {
        List<String> properties = new ArrayList<>(List.of("instance=" + name, "spring.data.redis.timeout=1s",
                "multi-tier-cache.key-prefix=" + prefix,
                "multi-tier-cache.redis.command-timeout=500ms",
                "multi-tier-cache.redis.open-duration=300ms",
                "multi-tier-cache.invalidation.heartbeat-interval=100ms",
                "multi-tier-cache.invalidation.max-staleness=600ms",
                "multi-tier-cache.invalidation.degraded-l1-ttl=0ms",
                "multi-tier-cache.defaults.l1.ttl=1h",
                "multi-tier-cache.defaults.l2.ttl=1h",
                "multi-tier-cache.caches.hot.l1.enabled=false",
                "multi-tier-cache.caches.hot.hot-keys.min-reads-per-second=5",
                "multi-tier-cache.caches.hot.hot-keys.window=1s",
                "multi-tier-cache.caches.hot.hot-keys.replicas=3",
                "multi-tier-cache.caches.hot.hot-keys.l1-ttl=0"));
        properties.addAll(List.of(redis));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ShopConfiguration.class)
                .web(WebApplicationType.NONE).properties(properties.toArray(new String[0])).run();
        contexts.add(context);
        await().atMost(Duration.ofSeconds(10)).until(() -> context.getBean(InvalidationBus.class).isHealthy());
        return context;
    }

    private static String[] standalone(String host, int port) {
        return new String[] {"spring.data.redis.host=" + host, "spring.data.redis.port=" + port};
    }

    private static String[] cluster() {
        return new String[] {"spring.data.redis.cluster.nodes=" + String.join(",", RedisCluster.shared().nodeAddresses())};
    }

    private static Shop shop(ConfigurableApplicationContext context) {
        return context.getBean(Shop.class);
    }

    @Test
    void cacheEvictTagsOnOneInstanceDropsTheTaggedEntriesOfEveryInstance() {
        RedisServer redis = RedisServer.shared();
        evictionReachesEveryInstance(standalone(redis.host(), redis.port()));
    }

    @Test
    void onAClusterCacheEvictTagsOnOneInstanceDropsTheTaggedEntriesOfEveryInstance() {
        evictionReachesEveryInstance(cluster());
    }

    private void evictionReachesEveryInstance(String[] redis) {
        String prefix = "tags" + System.nanoTime();
        Shop a = shop(instance("A", prefix, redis));
        Shop b = shop(instance("B", prefix, redis));
        assertThat(a.product(1L)).isEqualTo("p1v0@A");
        assertThat(b.product(1L)).as("from Redis").isEqualTo("p1v0@A");
        assertThat(b.product(1L)).as("from B's L1").isEqualTo("p1v0@A");
        assertThat(b.search(1L)).containsExactly(1L, 3L);
        assertThat(a.search(1L)).containsExactly(1L, 3L);
        assertThat(b.products(List.of(2L, 3L))).containsEntry(3L, "p3v0@B");
        assertThat(a.products(List.of(2L, 3L))).containsEntry(3L, "p3v0@B");
        int searchesOfA = a.searchLoads().get();

        a.update(1L);

        assertThat(a.product(1L)).as("at once on the evicting instance").isEqualTo("p1v1@A");
        assertThat(a.search(1L)).containsExactly(1L, 3L);
        assertThat(a.searchLoads()).as("the search carried product:1").hasValue(searchesOfA + 1);
        await().atMost(BOUND).until(() -> b.product(1L).equals("p1v1@A"));
        assertThat(a.products(List.of(2L, 3L))).as("untouched").containsEntry(3L, "p3v0@B");
        int productsOfA = a.productLoads().get();
        assertThat(a.product(1L)).as("written after the eviction: served").isEqualTo("p1v1@A");
        assertThat(a.productLoads()).hasValue(productsOfA);

        a.update(3L);
        await().atMost(BOUND).until(() -> b.products(List.of(2L, 3L)).get(3L).equals("p3v1@B"));
    }

    @Test
    void cacheEvictTagsLimitedToOneCacheDropsItsTaggedEntriesOnEveryInstanceAndKeepsTheOtherCaches() {
        RedisServer redis = RedisServer.shared();
        evictionInOneCacheReachesEveryInstance(standalone(redis.host(), redis.port()));
    }

    @Test
    void onAClusterCacheEvictTagsLimitedToOneCacheDropsItsTaggedEntriesOnEveryInstance() {
        evictionInOneCacheReachesEveryInstance(cluster());
    }

    private void evictionInOneCacheReachesEveryInstance(String[] redis) {
        String prefix = "tags" + System.nanoTime();
        ConfigurableApplicationContext contextA = instance("A", prefix, redis);
        ConfigurableApplicationContext contextB = instance("B", prefix, redis);
        Shop a = shop(contextA);
        Shop b = shop(contextB);
        assertThat(a.product(1L)).isEqualTo("p1v0@A");
        assertThat(b.product(1L)).isEqualTo("p1v0@A");
        assertThat(a.search(1L)).containsExactly(1L, 3L);
        assertThat(b.search(1L)).as("from Redis, then B's L1").containsExactly(1L, 3L);
        int productLoads = a.productLoads().get() + b.productLoads().get();

        a.recategorize(1L);

        assertThat(cached(contextA, "searches", 1L)).as("at once on the evicting instance").isNull();
        await().atMost(BOUND).until(() -> cached(contextB, "searches", 1L) == null);
        assertThat(cached(contextA, "products", 1L)).as("products carry category:1 too, but keep it")
                .isEqualTo("p1v0@A");
        assertThat(cached(contextB, "products", 1L)).isEqualTo("p1v0@A");
        assertThat(a.product(1L)).isEqualTo("p1v0@A");
        assertThat(b.product(1L)).isEqualTo("p1v0@A");
        assertThat(a.productLoads().get() + b.productLoads().get()).isEqualTo(productLoads);
        ConfigurableApplicationContext contextC = instance("C", prefix, redis);
        assertThat(cached(contextC, "searches", 1L)).as("a new instance reads the record").isNull();
        assertThat(cached(contextC, "products", 1L)).isEqualTo("p1v0@A");
    }

    private static @Nullable Object cached(ConfigurableApplicationContext context, String cache, Long key) {
        Cache.ValueWrapper wrapper = context.getBean(MultiTierCacheManager.class).getCache(cache).get(key);
        return (wrapper != null) ? wrapper.get() : null;
    }

    @Test
    void anInstanceThatLostTheMessageDoesNotServeTheEvictedEntryOnceItsLinkIsBack() {
        RedisServer redis = RedisServer.shared();
        String prefix = "tags" + System.nanoTime();
        FaultProxy link = FaultProxy.start(redis.host(), redis.port());
        closeables.add(link);
        Shop a = shop(instance("A", prefix, standalone(redis.host(), redis.port())));
        ConfigurableApplicationContext contextB = instance("B", prefix, standalone(link.host(), link.port()));
        Shop b = shop(contextB);
        assertThat(a.product(2L)).isEqualTo("p2v0@A");
        assertThat(b.product(2L)).isEqualTo("p2v0@A");
        assertThat(contextB.getBean(MultiTierCacheManager.class).getContext().tags().knownEviction("product:2"))
                .as("B read the tag's record: never evicted").isZero();

        link.blackhole();
        a.update(2L);
        link.cutConnections();
        link.restore();

        await().atMost(Duration.ofSeconds(10)).until(() -> contextB.getBean(InvalidationBus.class).isHealthy());
        await().atMost(BOUND).until(() -> b.product(2L).equals("p2v1@B"));
        assertThat(b.product(2L)).isEqualTo("p2v1@B");
    }

    @Test
    void afterARedisRestartNoInstanceServesAnEntryOfAnEvictedTag() {
        RedisServer redis = RedisServer.start();
        closeables.add(redis);
        String prefix = "tags" + System.nanoTime();
        Shop a = shop(instance("A", prefix, standalone(redis.host(), redis.port())));
        ConfigurableApplicationContext contextB = instance("B", prefix, standalone(redis.host(), redis.port()));
        Shop b = shop(contextB);
        assertThat(a.product(5L)).isEqualTo("p5v0@A");
        assertThat(b.product(5L)).isEqualTo("p5v0@A");
        redis.kill();
        redis.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> contextB.getBean(InvalidationBus.class).isHealthy()
                && contexts.get(0).getBean(InvalidationBus.class).isHealthy());
        assertThat(b.product(5L)).as("loaded again: Redis is empty, B's L1 was dropped").isEqualTo("p5v0@B");
        assertThat(a.product(5L)).isEqualTo("p5v0@B");
        a.update(5L);
        await().atMost(BOUND).until(() -> b.product(5L).equals("p5v1@B"));
        assertThat(a.product(5L)).isEqualTo("p5v1@B");
    }

    @Test
    void onAClusterAHotKeysReplicasCarryItsTagsAndAreNotServedAfterTheEviction() {
        String prefix = "tags" + System.nanoTime();
        Shop a = shop(instance("A", prefix, cluster()));
        ConfigurableApplicationContext contextB = instance("B", prefix, cluster());
        Shop b = shop(contextB);
        assertThat(a.hot(7L)).isEqualTo("h7v0@A");
        var hot = contextB.getBean(MultiTierCacheManager.class).getCache("hot").getNativeCache();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            b.hot(7L);
            return hot.insight().hotKeyStatistics() != null && hot.insight().hotKeyStatistics().replicaHits() > 0;
        });
        a.update(7L);
        await().atMost(BOUND).until(() -> b.hot(7L).equals("h7v1@B"));
        for (int i = 0; i < 50; i++) {
            assertThat(b.hot(7L)).isEqualTo("h7v1@B");
        }
    }

    /** The application of each instance: products, searches by category and their tags. */
    static class Shop {

        final String instance;
        final AtomicInteger productLoads = new AtomicInteger();
        final AtomicInteger searchLoads = new AtomicInteger();

        Shop(String instance) {
            this.instance = instance;
        }

        // Read through methods: the fields of the caching proxy are not the bean's.
        public AtomicInteger productLoads() {
            return productLoads;
        }

        public AtomicInteger searchLoads() {
            return searchLoads;
        }

        private static int version(Long id) {
            return VERSIONS.computeIfAbsent(id, key -> new AtomicInteger()).get();
        }

        @MultiTierCacheable(cacheNames = "products", tags = { "'product:' + #id", "'category:' + (#id % 2)" })
        public String product(Long id) {
            productLoads.incrementAndGet();
            return "p" + id + "v" + version(id) + "@" + instance;
        }

        @CacheableAll(cacheNames = "products", tags = "'product:' + #key")
        public Map<Long, String> products(Collection<Long> ids) {
            Map<Long, String> found = new LinkedHashMap<>();
            ids.forEach(id -> found.put(id, "p" + id + "v" + version(id) + "@" + instance));
            return found;
        }

        /** The products of a category (odd or even ids up to 4): tagged by the category and each product. */
        @MultiTierCacheable(cacheNames = "searches", tags = { "'category:' + #category", "#result.!['product:' + #this]" })
        public List<Long> search(Long category) {
            searchLoads.incrementAndGet();
            return (category == 1L) ? List.of(1L, 3L) : List.of(2L, 4L);
        }

        @MultiTierCacheable(cacheNames = "hot", tags = "'product:' + #id")
        public String hot(Long id) {
            return "h" + id + "v" + version(id) + "@" + instance;
        }

        @CacheEvictTags("'product:' + #id")
        public void update(Long id) {
            VERSIONS.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
        }

        /** The searches of a category change; its products' own entries stay valid. */
        @CacheEvictTags(value = "'category:' + #category", cacheNames = "searches")
        public void recategorize(Long category) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, CacheAutoConfiguration.class,
            MultiTierCacheAutoConfiguration.class })
    static class ShopConfiguration {

        @Bean
        Shop shop(@Value("${instance}") String instance) {
            return new Shop(instance);
        }
    }
}
