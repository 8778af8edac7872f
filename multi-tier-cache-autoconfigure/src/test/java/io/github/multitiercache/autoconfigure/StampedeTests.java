package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.ConcurrentCalls;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two application contexts (two instances) on one real Redis: concurrent misses of a key run its
 * loader once across both, through plain {@code @Cacheable} and with {@code sync = true}; a load
 * overtaken by an evict on the other instance is cached nowhere; refresh-ahead keeps callers from
 * waiting.
 */
class StampedeTests {

    private static final RedisServer redis = RedisServer.shared();
    private static final int CALLERS_PER_INSTANCE = 200;

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private String prefix;

    @BeforeEach
    void prefix(TestInfo test) {
        prefix = "sp" + Math.abs(test.getDisplayName().hashCode());
    }

    @AfterEach
    void closeAll() {
        contexts.forEach(ConfigurableApplicationContext::close);
    }

    private ConfigurableApplicationContext instance(String... properties) {
        List<String> all = new ArrayList<>(List.of("spring.data.redis.host=" + redis.host(),
                "spring.data.redis.port=" + redis.port(), "multi-tier-cache.key-prefix=" + prefix));
        all.addAll(List.of(properties));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(CachingConfiguration.class)
                .web(WebApplicationType.NONE).properties(all.toArray(new String[0])).run();
        contexts.add(context);
        return context;
    }

    @Test
    void twoInstancesOfAPlainCacheableMethodLoadAMissingKeyOnce() throws Exception {
        assertOneLoadFor200CallersPerInstance(ProductService::find);
    }

    @Test
    void twoInstancesOfASyncCacheableMethodLoadAMissingKeyOnce() throws Exception {
        assertOneLoadFor200CallersPerInstance(ProductService::findSync);
    }

    private void assertOneLoadFor200CallersPerInstance(Lookup lookup) throws Exception {
        ProductService one = instance().getBean(ProductService.class);
        ProductService two = instance().getBean(ProductService.class);
        List<Object> results = ConcurrentCalls.run(2 * CALLERS_PER_INSTANCE,
                i -> lookup.find((i % 2 == 0) ? one : two, "42"));
        assertThat(results).hasSize(2 * CALLERS_PER_INSTANCE).containsOnly("product-42");
        assertThat(one.calls() + two.calls()).isEqualTo(1);
    }

    @Test
    void aLoadOvertakenByAnEvictOnTheOtherInstanceIsCachedNowhere() throws Exception {
        ConfigurableApplicationContext first = instance();
        ConfigurableApplicationContext second = instance();
        ProductService loader = first.getBean(ProductService.class);
        ProductService evicter = second.getBean(ProductService.class);
        // Both instances hold the key in L1 before: the evict must reach both.
        evicter.setValue("old");
        evicter.find("7");
        loader.find("7");
        evicter.evict("7");
        await().atMost(Duration.ofSeconds(10)).until(() -> !inL1(first, "7"));
        loader.setValue("old");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        loader.pauseNextLoad(started, proceed);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Object> load = pool.submit(() -> loader.find("7"));
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            evicter.evict("7");
            proceed.countDown();
            assertThat(load.get(5, TimeUnit.SECONDS)).isEqualTo("product-old");
        }
        finally {
            pool.shutdownNow();
        }
        StringRedisTemplate redisTemplate = first.getBean(StringRedisTemplate.class);
        assertThat(redisTemplate.hasKey(prefix + ":products:7")).isFalse();
        assertThat(inL1(first, "7")).isFalse();
        assertThat(inL1(second, "7")).isFalse();
        loader.setValue("new");
        evicter.setValue("new");
        assertThat(evicter.find("7")).isEqualTo("product-new");
        assertThat(loader.find("7")).isEqualTo("product-new");
    }

    @Test
    void anExpiredKeyUnderRefreshAheadIsLoadedOnceAndCallersDoNotWait() throws Exception {
        // Refresh from 2 s after the store on, expiry at 10 s: wide margins on both sides, so that a
        // starved machine neither refreshes during the first round nor lets the value expire before
        // the second.
        String[] refreshAhead = { "multi-tier-cache.caches.products.l1.enabled=false",
                "multi-tier-cache.caches.products.l2.ttl=10s", "multi-tier-cache.caches.products.ttl-jitter=0",
                "multi-tier-cache.caches.products.refresh.mode=fixed",
                "multi-tier-cache.caches.products.refresh.ahead-fraction=0.2" };
        ProductService one = instance(refreshAhead).getBean(ProductService.class);
        ProductService two = instance(refreshAhead).getBean(ProductService.class);
        // Missing key: still one load for every caller on both instances.
        List<Object> first = ConcurrentCalls.run(2 * CALLERS_PER_INSTANCE, i -> ((i % 2 == 0) ? one : two).find("9"));
        assertThat(first).containsOnly("product-9");
        assertThat(one.calls() + two.calls()).isEqualTo(1);
        // Past the refresh threshold: one background refresh, which blocks until released; every
        // caller still gets the current value at once.
        Thread.sleep(2100);
        CountDownLatch refreshStarted = new CountDownLatch(1);
        CountDownLatch refreshProceeds = new CountDownLatch(1);
        for (ProductService service : List.of(one, two)) {
            service.setValue("fresh");
            service.pauseNextLoad(refreshStarted, refreshProceeds);
        }
        List<Object> during = ConcurrentCalls.run(2 * CALLERS_PER_INSTANCE, i -> ((i % 2 == 0) ? one : two).find("9"));
        assertThat(during).containsOnly("product-9");
        assertThat(refreshStarted.await(5, TimeUnit.SECONDS)).isTrue();
        refreshProceeds.countDown();
        await().atMost(Duration.ofSeconds(3)).until(() -> "product-fresh".equals(one.find("9"))
                && "product-fresh".equals(two.find("9")));
        assertThat(one.calls() + two.calls()).isEqualTo(2);
    }

    @Test
    void stampedeRefreshAndFailSafeOptionsAreBoundPerCache() {
        ConfigurableApplicationContext context = instance(
                "multi-tier-cache.defaults.stampede.max-wait=2s",
                "multi-tier-cache.caches.products.stampede.lease=3s",
                "multi-tier-cache.caches.products.stampede.on-timeout=stale",
                "multi-tier-cache.caches.products.refresh.mode=xfetch",
                "multi-tier-cache.caches.products.refresh.xfetch-beta=2",
                "multi-tier-cache.caches.products.fail-safe.enabled=true",
                "multi-tier-cache.caches.products.fail-safe.max-stale=1h",
                "multi-tier-cache.caches.products.fail-safe.soft-timeout=100ms",
                "multi-tier-cache.caches.products.fail-safe.hard-timeout=2s");
        CacheSettings settings = context.getBean(MultiTierCacheManager.class).getCache("products")
                .getNativeCache().settings();
        assertThat(settings.stampede()).isEqualTo(new StampedeSettings(true, Duration.ofSeconds(3),
                Duration.ofSeconds(2), StampedeSettings.OnTimeout.STALE));
        assertThat(settings.refresh()).isEqualTo(new RefreshSettings(RefreshSettings.Mode.XFETCH, 0.8, 2.0));
        assertThat(settings.failSafe()).isEqualTo(new FailSafeSettings(true, Duration.ofHours(1),
                Duration.ofMillis(100), Duration.ofSeconds(2)));
        CacheSettings other = context.getBean(MultiTierCacheManager.class).getCache("other")
                .getNativeCache().settings();
        assertThat(other.stampede().maxWait()).isEqualTo(Duration.ofSeconds(2));
        assertThat(other.failSafe().enabled()).isFalse();
    }

    private static boolean inL1(ConfigurableApplicationContext context, String key) {
        TieredCache cache = context.getBean(MultiTierCacheManager.class).getCache("products").getNativeCache();
        return cache.insight().l1() != null && cache.insight().l1().get(key) != null;
    }

    interface Lookup {
        Object find(ProductService service, String id) throws Exception;
    }

    static class ProductService {

        final AtomicInteger calls = new AtomicInteger();
        volatile String value;
        volatile CountDownLatch started;
        volatile CountDownLatch proceed;

        @Cacheable("products")
        public String find(String id) throws InterruptedException {
            return load(id);
        }

        @Cacheable(cacheNames = "products", sync = true)
        public String findSync(String id) throws InterruptedException {
            return load(id);
        }

        @CacheEvict("products")
        public void evict(String id) {
        }

        public int calls() {
            return calls.get();
        }

        public void setValue(String value) {
            this.value = value;
        }

        /** The next load signals {@code started}, then waits for {@code proceed}. */
        public void pauseNextLoad(CountDownLatch started, CountDownLatch proceed) {
            this.started = started;
            this.proceed = proceed;
        }

        private String load(String id) throws InterruptedException {
            calls.incrementAndGet();
            CountDownLatch started = this.started;
            CountDownLatch proceed = this.proceed;
            if (started != null && proceed != null) {
                this.started = null;
                this.proceed = null;
                started.countDown();
                proceed.await(5, TimeUnit.SECONDS);
            }
            else {
                Thread.sleep(200);
            }
            return "product-" + ((value != null) ? value : id);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, MultiTierCacheAutoConfiguration.class,
            CacheAutoConfiguration.class })
    static class CachingConfiguration {

        @Bean
        ProductService productService() {
            return new ProductService();
        }
    }
}
