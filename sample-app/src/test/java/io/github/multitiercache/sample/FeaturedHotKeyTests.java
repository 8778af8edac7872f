package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hot-key showcase, {@code GET /products/featured}, with the {@code product-featured} settings of
 * {@code application.yml} and {@code ProductService}: no L1, a key hot above 2 reads a second (a pace
 * a person's curl loop keeps), kept in L1 for 30s once hot. Against a Redis of its own.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "sample.embedded-redis.enabled=false")
class FeaturedHotKeyTests {

    private static final RedisServer redis = RedisServer.start();

    @DynamicPropertySource
    static void redisProperties(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", redis::host);
        registry.add("spring.data.redis.port", redis::port);
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @LocalServerPort
    private int port;

    @Autowired
    private ProductRepository repository;

    @Autowired
    private ProductService service;

    @Autowired
    private CacheManager cacheManager;

    @Test
    void theHomePageKeyTurnsHotIsServedFromL1WithoutL1AndIsStillDroppedByAWrite() {
        TieredCache cache = featuredCache();
        assertThat(cache.settings().l1Enabled()).as("@MultiTierCacheable(l1Enabled = FALSE)").isFalse();
        assertThat(cache.settings().hotKeys().minReadsPerSecond()).isEqualTo(2);
        assertThat(cache.settings().hotKeys().window()).isEqualTo(Duration.ofSeconds(10));
        RestClient http = RestClient.create("http://127.0.0.1:" + port);
        long loadsBefore = repository.loaderCalls().featured();

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int i = 0; i < 20; i++) {
                assertThat(featured(http)).extracting(Product::id).containsExactly(1L, 2L, 3L);
            }
            DocumentContext json = JsonPath.parse(http.get().uri("/actuator/multitiercache/product-featured")
                    .retrieve().body(String.class));
            List<String> hot = json.read("$.hotKeys.keys[*].key");
            return hot.contains("home");
        });
        assertThat(repository.loaderCalls().featured() - loadsBefore).as("one load, then Redis and L1").isEqualTo(1);

        featured(http);
        long l1Hits = cache.statistics().l1Hits();
        long l2Hits = cache.statistics().l2Hits();
        for (int i = 0; i < 50; i++) {
            featured(http);
        }
        assertThat(cache.statistics().l1Hits() - l1Hits).as("served from L1").isEqualTo(50);
        assertThat(cache.statistics().l2Hits()).as("not from Redis").isEqualTo(l2Hits);

        service.save(6, "Tamper", new BigDecimal("15.00"));
        assertThat(Objects.requireNonNull(cache.insight().l1()).remainingNanos("home")).as("dropped by the write").isNegative();
        featured(http);
        assertThat(repository.loaderCalls().featured() - loadsBefore).as("loaded again after the write").isEqualTo(2);
    }

    @Test
    void aKeyReadByAPersonsCurlLoopTurnsHotWithinTheWalkthrough() throws InterruptedException {
        // The README's walkthrough is a loop of sequential curls; on a busy machine one takes 100 ms
        // or more. Read at 4 a second (a page of its own, so that the other test's reads do not count).
        RestClient http = RestClient.create("http://127.0.0.1:" + port);
        int reads = 0;
        boolean hot = false;
        long start = System.nanoTime();
        while (!hot && reads < 150) {
            long next = System.nanoTime() + Duration.ofMillis(250).toNanos();
            http.get().uri("/products/featured?page=walkthrough").retrieve().toBodilessEntity();
            reads++;
            if (reads % 4 == 0) {
                DocumentContext json = JsonPath.parse(http.get().uri("/actuator/multitiercache/product-featured")
                        .retrieve().body(String.class));
                List<String> keys = json.read("$.hotKeys.keys[*].key");
                hot = keys.contains("walkthrough");
            }
            Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
        }
        double perSecond = reads / ((System.nanoTime() - start) / 1e9);
        assertThat(hot).as("hot after %d reads at %.1f reads/s", reads, perSecond).isTrue();
        // The walkthrough reads 200 times: the key must turn hot within half of that at this pace (about
        // 25 reads in a quiet run; 64 were seen on a loaded machine).
        assertThat(reads).as("reads before the key was hot").isLessThanOrEqualTo(100);
    }

    private static List<Product> featured(RestClient http) {
        return http.get().uri("/products/featured").retrieve().body(new ParameterizedTypeReference<List<Product>>() {
        });
    }

    private TieredCache featuredCache() {
        Cache cache = cacheManager.getCache(ProductService.PRODUCT_FEATURED);
        assertThat(cache).isNotNull();
        return (TieredCache) Objects.requireNonNull(cache).getNativeCache();
    }
}
