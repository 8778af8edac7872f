package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.jayway.jsonpath.JsonPath;
import io.github.multitiercache.cdc.CdcConsumer;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.sample.redis.EmbeddedRedisEnvironmentPostProcessor;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cache.CacheManager;
import org.springframework.context.ApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST API over the running service, against a Redis of its own. The embedded Redis fallback is
 * off: it runs before {@link DynamicPropertySource} values are visible, so it would probe the
 * default address, 6379, which tests must leave alone.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "sample.embedded-redis.enabled=false")
class ProductApiTests {

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
    private ConfigurableEnvironment environment;

    @Autowired
    private CacheManager cacheManager;

    @Autowired
    private ApplicationContext context;

    private RestClient http;

    @BeforeEach
    void createClient() {
        http = RestClient.builder()
                .baseUrl("http://127.0.0.1:" + port)
                .defaultStatusHandler(HttpStatusCode::isError, (request, response) -> {
                })
                .build();
    }

    @Test
    void startsWithTheMultiTierCacheManagerOnTheTestRedis() {
        assertThat(cacheManager).isInstanceOf(MultiTierCacheManager.class);
        assertThat(cacheManager.getCacheNames()).contains(ProductService.PRODUCTS);
        assertThat(environment.getProperty("spring.data.redis.port", Integer.class)).isEqualTo(redis.port());
        assertThat(environment.getPropertySources().contains(
                EmbeddedRedisEnvironmentPostProcessor.PROPERTY_SOURCE_NAME)).isFalse();
    }

    @Test
    void withoutThePostgresProfileTheProductsAreInMemoryAndNothingNeedsADatabase() {
        assertThat(repository).isInstanceOf(InMemoryProductRepository.class);
        assertThat(context.getBeanNamesForType(DataSource.class)).isEmpty();
        assertThat(context.getBeanNamesForType(CdcConsumer.class)).isEmpty();
    }

    @Test
    void secondReadIsServedByTheCacheWithoutCallingTheRepository() {
        long loadsBefore = repository.loaderCalls().findById();

        long firstStart = System.nanoTime();
        ResponseEntity<Product> first = get("/products/1", Product.class);
        Duration firstTime = Duration.ofNanos(System.nanoTime() - firstStart);
        long secondStart = System.nanoTime();
        ResponseEntity<Product> second = get("/products/1", Product.class);
        Duration secondTime = Duration.ofNanos(System.nanoTime() - secondStart);

        assertThat(first.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(first.getBody()).isNotNull();
        assertThat(first.getBody().id()).isEqualTo(1);
        assertThat(first.getBody().name()).isEqualTo("Espresso machine");
        assertThat(first.getBody().price()).isEqualByComparingTo("249.00");
        assertThat(second.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(second.getBody()).isEqualTo(first.getBody());
        assertThat(repository.loaderCalls().findById() - loadsBefore).isEqualTo(1);
        assertThat(firstTime).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(secondTime).isLessThan(firstTime);
        assertThat(redis.command("EXISTS", "sample:products:1")).isEqualTo(1L);
    }

    @Test
    void updateIsVisibleOnTheNextReadWithoutALoad() {
        get("/products/2", Product.class);
        long loadsBefore = repository.loaderCalls().findById();

        ResponseEntity<Product> updated = put("/products/2", "Espresso cups (set of 6)", "27.50");
        ResponseEntity<Product> read = get("/products/2", Product.class);

        assertThat(updated.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(read.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(read.getBody()).isEqualTo(updated.getBody());
        assertThat(read.getBody().name()).isEqualTo("Espresso cups (set of 6)");
        assertThat(read.getBody().price()).isEqualByComparingTo("27.50");
        assertThat(repository.loaderCalls().findById()).isEqualTo(loadsBefore);
    }

    @Test
    void deleteEvictsSoTheNextReadGoesToTheRepository() {
        put("/products/100", "Descaler", "9.95");
        assertThat(get("/products/100", Product.class).getStatusCode()).isEqualTo(HttpStatus.OK);
        long loadsBefore = repository.loaderCalls().findById();

        ResponseEntity<Void> deleted = http.delete().uri("/products/100").retrieve().toBodilessEntity();
        ResponseEntity<Product> read = get("/products/100", Product.class);

        assertThat(deleted.getStatusCode()).isEqualTo(HttpStatus.NO_CONTENT);
        assertThat(read.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(repository.loaderCalls().findById() - loadsBefore).isEqualTo(1);
    }

    @Test
    void unknownIdIsNotFoundAndTheNullIsCached() {
        long loadsBefore = repository.loaderCalls().findById();

        ResponseEntity<String> first = get("/products/999", String.class);
        ResponseEntity<String> second = get("/products/999", String.class);

        assertThat(first.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(second.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(repository.loaderCalls().findById() - loadsBefore).isEqualTo(1);
        assertThat(redis.command("EXISTS", "sample:products:999")).isEqualTo(1L);
    }

    @Test
    void searchByPrefixIsCached() {
        long searchesBefore = repository.loaderCalls().search();

        ResponseEntity<List<Product>> first = http.get().uri("/products?prefix=coffee").retrieve()
                .toEntity(new ParameterizedTypeReference<>() { });
        ResponseEntity<List<Product>> second = http.get().uri("/products?prefix=coffee").retrieve()
                .toEntity(new ParameterizedTypeReference<>() { });

        assertThat(first.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(first.getBody()).extracting(Product::name).containsExactly("Coffee grinder", "Coffee beans, 1 kg");
        assertThat(second.getBody()).isEqualTo(first.getBody());
        assertThat(repository.loaderCalls().search() - searchesBefore).isEqualTo(1);
    }

    @Test
    void aSaveEvictsTheSearchesTaggedWithTheProductOrItsCategoryAndNoOther() {
        search("coffee");
        search("milk");
        search("espresso");
        long searchesBefore = repository.loaderCalls().search();
        search("coffee");
        search("milk");
        assertThat(repository.loaderCalls().search()).as("cached").isEqualTo(searchesBefore);

        put("/products/3", "Coffee grinder, steel", "99.00");

        assertThat(search("coffee")).contains("Coffee grinder, steel");
        assertThat(repository.loaderCalls().search() - searchesBefore).as("the search showing product 3").isEqualTo(1);
        search("milk");
        search("espresso");
        assertThat(repository.loaderCalls().search() - searchesBefore).as("other categories stay cached")
                .isEqualTo(1);
        put("/products/5", "Espresso tamper", "15.00");
        assertThat(search("milk")).as("showed product 5, renamed").isEmpty();
        assertThat(search("espresso")).as("its new category").contains("Espresso tamper");
        assertThat(repository.loaderCalls().search() - searchesBefore).isEqualTo(3);
    }

    private List<String> search(String prefix) {
        List<Product> found = http.get().uri("/products?prefix=" + prefix).retrieve()
                .body(new ParameterizedTypeReference<List<Product>>() { });
        return (found == null) ? List.of() : found.stream().map(Product::name).toList();
    }

    @Test
    void aBulkReadLoadsOnlyTheIdsNotCachedInOneQueryAndSharesEntriesWithSingleReads() {
        get("/products/5", Product.class);
        LoaderCalls before = repository.loaderCalls();

        ResponseEntity<List<Product>> first = http.get().uri("/products?ids=3,5,997,3").retrieve()
                .toEntity(new ParameterizedTypeReference<>() { });
        ResponseEntity<List<Product>> second = http.get().uri("/products?ids=997,5,3").retrieve()
                .toEntity(new ParameterizedTypeReference<>() { });
        get("/products/3", Product.class);

        assertThat(first.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(first.getBody()).extracting(Product::id).containsExactly(3L, 5L);
        assertThat(second.getBody()).extracting(Product::id).containsExactly(5L, 3L);
        LoaderCalls after = repository.loaderCalls();
        assertThat(after.findAllById() - before.findAllById()).isEqualTo(1);
        assertThat(after.findAllByIdKeys() - before.findAllByIdKeys()).isEqualTo(2);
        assertThat(after.findById()).isEqualTo(before.findById());
        assertThat(redis.command("EXISTS", "sample:products:997")).isEqualTo(1L);
    }

    @Test
    void stockLevelIsServedForAProductAndNotFoundForAnUnknownId() {
        ResponseEntity<StockLevel> known = get("/products/4/stock", StockLevel.class);
        ResponseEntity<String> unknown = get("/products/998/stock", String.class);

        assertThat(known.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(known.getBody()).isNotNull();
        assertThat(known.getBody().productId()).isEqualTo(4);
        assertThat(known.getBody().available()).isEqualTo(150);
        assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(redis.command("EXISTS", "sample:product-stock:4")).isEqualTo(1L);
    }

    @Test
    void statsReportTheRepositoryReads() {
        ResponseEntity<LoaderCalls> stats = get("/products/stats", LoaderCalls.class);

        assertThat(stats.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(stats.getBody()).isEqualTo(repository.loaderCalls());
    }

    @Test
    void cachesEndpointListsTheProductsCache() {
        ResponseEntity<String> caches = get("/actuator/caches", String.class);

        assertThat(caches.getStatusCode()).isEqualTo(HttpStatus.OK);
        List<Map<String, Object>> products = JsonPath.read(caches.getBody(), "$.cacheManagers.*.caches.products");
        assertThat(products).singleElement().extracting(cache -> cache.get("target"))
                .isEqualTo(TieredCache.class.getName());
    }

    private ResponseEntity<Product> put(String path, String name, String price) {
        return http.put().uri(path).body(Map.of("name", name, "price", new BigDecimal(price))).retrieve()
                .toEntity(Product.class);
    }

    private <T> ResponseEntity<T> get(String path, Class<T> type) {
        return http.get().uri(path).retrieve().toEntity(type);
    }
}
