package io.github.multitiercache.sample;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.testsupport.RedisServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The refresh-ahead showcase, {@code GET /products/{id}/stock}, with the {@code product-stock}
 * settings of {@code application.yml} (6s in Redis, refreshed after half of it, 1s in L1), against a
 * Redis of its own. The repository is made slower than usual (500ms), so that a request that waited
 * for it cannot be mistaken for a slow cache hit.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "sample.embedded-redis.enabled=false", "sample.repository.delay=500ms" })
class StockRefreshAheadTests {

    private static final Duration REPOSITORY_DELAY = Duration.ofMillis(500);
    private static final long PRODUCT = 3;
    private static final String REDIS_KEY = "sample:product-stock:" + PRODUCT;

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
    private CacheManager cacheManager;

    @Test
    void stockCacheIsConfiguredForRefreshAheadInApplicationYml() {
        TieredCache cache = stockCache();

        assertThat(cache.settings().refresh().mode()).isEqualTo(RefreshSettings.Mode.FIXED);
        assertThat(cache.settings().refresh().aheadFraction()).isEqualTo(0.5);
        assertThat(cache.settings().l2Ttl()).isEqualTo(Duration.ofSeconds(6));
        assertThat(cache.settings().l1Ttl()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void readsStayFastPastTheFirstExpiryBecauseTheLevelIsRenewedInTheBackground() {
        TieredCache cache = stockCache();
        RestClient http = RestClient.builder()
                .baseUrl("http://127.0.0.1:" + port)
                .defaultStatusHandler(HttpStatusCode::isError, (request, response) -> {
                })
                .build();
        long callsBefore = repository.loaderCalls().stock();
        long refreshesBefore = cache.stampedeStatistics().refreshes();

        TimedRead cold = read(http);
        long missesAfterColdRead = cache.statistics().misses();
        Object pttl = redis.command("PTTL", REDIS_KEY);
        assertThat(pttl).isInstanceOf(Long.class);
        Instant firstExpiry = Instant.now().plusMillis((Long) pttl);
        long callsAfterColdRead = repository.loaderCalls().stock();

        // Keep reading until well past the moment the first level would have expired.
        List<TimedRead> warm = new ArrayList<>();
        Instant until = firstExpiry.plusSeconds(1);
        while (Instant.now().isBefore(until)) {
            warm.add(read(http));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }

        assertThat(cold.status()).isEqualTo(HttpStatus.OK);
        assertThat(cold.elapsed()).isGreaterThanOrEqualTo(REPOSITORY_DELAY);
        assertThat(callsAfterColdRead - callsBefore).isEqualTo(1);
        assertThat(warm).allSatisfy(read -> assertThat(read.status()).isEqualTo(HttpStatus.OK));
        // No caller waited for the repository: each such wait alone takes REPOSITORY_DELAY.
        TimedRead slowest = warm.stream().max(Comparator.comparing(TimedRead::elapsed)).orElseThrow();
        assertThat(slowest.elapsed()).as("slowest of %d reads after the cold one", warm.size())
                .isLessThan(REPOSITORY_DELAY);
        // ...and none of them missed both tiers.
        assertThat(cache.statistics().misses()).isEqualTo(missesAfterColdRead);
        // The repository was called again, by background refreshes only.
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            long refreshes = cache.stampedeStatistics().refreshes() - refreshesBefore;
            assertThat(refreshes).isPositive();
            assertThat(repository.loaderCalls().stock() - callsAfterColdRead).isEqualTo(refreshes);
        });
        // The level served at the end is a renewed one, and Redis still holds a level.
        StockLevel first = Objects.requireNonNull(cold.level());
        StockLevel last = Objects.requireNonNull(warm.get(warm.size() - 1).level());
        assertThat(last.productId()).isEqualTo(PRODUCT);
        assertThat(last.available()).isEqualTo(first.available());
        assertThat(last.checkedAt()).isAfter(first.checkedAt());
        assertThat((Long) redis.command("PTTL", REDIS_KEY)).isPositive();
    }

    private TieredCache stockCache() {
        Cache cache = cacheManager.getCache(ProductService.PRODUCT_STOCK);
        assertThat(cache).isNotNull();
        return (TieredCache) Objects.requireNonNull(cache).getNativeCache();
    }

    private static TimedRead read(RestClient http) {
        long start = System.nanoTime();
        ResponseEntity<StockLevel> response = http.get().uri("/products/" + PRODUCT + "/stock").retrieve()
                .toEntity(StockLevel.class);
        return new TimedRead(response.getStatusCode(), response.getBody(), Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * One timed {@code GET /products/3/stock}.
     * @param status the response status
     * @param level the stock level served
     * @param elapsed how long the request took
     */
    private record TimedRead(HttpStatusCode status, @Nullable StockLevel level, Duration elapsed) {
    }
}
