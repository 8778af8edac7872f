package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.cdc.CdcConsumer;
import io.github.multitiercache.testsupport.PostgresServer;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The sample with the profile {@code postgres}, as docs/cdc.md runs it: two instances on one PostgreSQL
 * (wal_level=logical) and one Redis, both started here on free ports. A change written to
 * {@code public.products} with plain JDBC, outside the application, reaches both instances' caches
 * through the change-data-capture mapping of {@code application-postgres.yml}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresProfileTests {

    /** Far below the TTLs of the caches involved (products 1m in L1, searches 1m in Redis). */
    private static final Duration EVICTED_WITHIN = Duration.ofSeconds(20);

    private static final List<ConfigurableApplicationContext> instances = new ArrayList<>();

    private static PostgresServer postgres;

    private static RedisServer redis;

    @BeforeAll
    static void startServersAndTwoInstances() {
        postgres = PostgresServer.start();
        redis = RedisServer.start();
        ConfigurableApplicationContext first = start("sample-a");
        // The first instance takes the consumer's lease; the second stands by.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> "STREAMING".equals(first.getBean(CdcConsumer.class).status().state()));
        start("sample-b");
    }

    @AfterAll
    static void stopEverything() {
        for (int i = instances.size() - 1; i >= 0; i--) {
            instances.get(i).close();
        }
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ConfigurableApplicationContext start(String name) {
        // Command-line arguments, so that they win over application-postgres.yml (and PG* variables).
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
                .profiles(JdbcProductRepository.PROFILE)
                .run("--server.port=0", "--spring.application.name=" + name,
                        "--sample.embedded-redis.enabled=false", "--sample.repository.delay=0ms",
                        "--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + redis.port(),
                        "--sample.database.host=" + postgres.host(), "--sample.database.port=" + postgres.port(),
                        "--sample.database.name=" + PostgresServer.DATABASE,
                        "--sample.database.username=" + PostgresServer.USER, "--sample.database.password=");
        instances.add(context);
        return context;
    }

    private static RestClient http(ConfigurableApplicationContext instance) {
        int port = ((WebServerApplicationContext) instance).getWebServer().getPort();
        return RestClient.create("http://127.0.0.1:" + port);
    }

    private static InMemoryProductRepository inMemory() {
        return new InMemoryProductRepository(new RepositoryProperties(Duration.ZERO),
                new StaticListableBeanFactory().getBeanProvider(Clock.class));
    }

    private static ProductRepository jdbc() {
        ProductRepository repository = instances.get(0).getBean(ProductRepository.class);
        assertThat(repository).isInstanceOf(JdbcProductRepository.class);
        return repository;
    }

    @Test
    @Order(1)
    void theTableIsSeededWithTheProductsOfTheInMemoryRepository() {
        List<Product> seeded = inMemory().findByNamePrefix("");
        List<Product> stored = jdbc().findByNamePrefix("");

        assertThat(stored).extracting(Product::id, Product::name)
                .containsExactlyElementsOf(seeded.stream().map(p -> tuple(p.id(), p.name())).toList());
        for (int i = 0; i < seeded.size(); i++) {
            assertThat(stored.get(i).price()).isEqualByComparingTo(seeded.get(i).price());
        }
    }

    @Test
    @Order(2)
    void theJdbcRepositoryAnswersAsTheInMemoryOne() {
        for (ProductRepository repository : List.of(inMemory(), jdbc())) {
            assertThat(repository.findAllById(List.of(4L, 2L, 990L)).keySet()).as("in request order").containsExactly(4L, 2L);
            assertThat(repository.findFeatured()).extracting(Product::id).containsExactly(1L, 2L, 3L);
            assertThat(repository.stockOf(4)).extracting(StockLevel::available).isEqualTo(150);
            assertThat(repository.stockOf(990)).isNull();

            Product saved = repository.save(8, "Tamper", new BigDecimal("15.00"));
            assertThat(repository.findById(8)).isEqualTo(saved);
            assertThat(repository.findByNamePrefix("TAM")).containsExactly(saved);
            assertThat(repository.stockOf(8)).as("a new product has no stock").extracting(StockLevel::available)
                    .isEqualTo(0);
            assertThat(repository.deleteById(8)).isTrue();
            assertThat(repository.deleteById(8)).isFalse();
            assertThat(repository.findById(8)).isNull();
        }
    }

    @Test
    @Order(3)
    void aRowChangedWithPlainJdbcIsServedAnewByBothInstancesAndTheSearchesThatShowItOrNowMatchItAreEvicted() {
        List<RestClient> clients = instances.stream().map(PostgresProfileTests::http).toList();
        for (RestClient client : clients) {
            product(client, 3);
            search(client, "coffee");
            search(client, "milk");
        }
        for (int i = 0; i < instances.size(); i++) {
            // Cached: reading again on either instance asks its repository nothing.
            LoaderCalls before = instances.get(i).getBean(ProductService.class).loaderCalls();
            assertThat(product(clients.get(i), 3).name()).isEqualTo("Coffee grinder");
            assertThat(search(clients.get(i), "coffee")).containsExactly("Coffee grinder", "Coffee beans, 1 kg");
            assertThat(search(clients.get(i), "milk")).containsExactly("Milk frother");
            LoaderCalls after = instances.get(i).getBean(ProductService.class).loaderCalls();
            assertThat(after.findById()).as("product 3 cached").isEqualTo(before.findById());
            assertThat(after.search()).as("the searches cached").isEqualTo(before.search());
        }

        // Not through the application: one transaction on a connection of its own.
        execute("BEGIN; UPDATE public.products SET name = 'Coffee grinder, steel', price = 95.00 WHERE id = 3;"
                + " INSERT INTO public.products (id, name, price) VALUES (7, 'Milk jug', 12.00); COMMIT");

        long start = System.nanoTime();
        await().atMost(EVICTED_WITHIN).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (RestClient client : clients) {
                Product product = product(client, 3);
                assertThat(product.name()).isEqualTo("Coffee grinder, steel");
                assertThat(product.price()).isEqualByComparingTo("95.00");
                // The tag product:3 evicts the search that showed product 3 ...
                assertThat(search(client, "coffee")).containsExactly("Coffee grinder, steel", "Coffee beans, 1 kg");
                // ... and category:m the search that the new product now matches.
                assertThat(search(client, "milk")).containsExactly("Milk frother", "Milk jug");
            }
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(EVICTED_WITHIN);
    }

    private static Product product(RestClient client, long id) {
        Product product = client.get().uri("/products/{id}", id).retrieve().body(Product.class);
        assertThat(product).isNotNull();
        return product;
    }

    private static List<String> search(RestClient client, String prefix) {
        List<Product> found = client.get().uri("/products?prefix={prefix}", prefix).retrieve()
                .body(new ParameterizedTypeReference<List<Product>>() { });
        return (found == null) ? List.of() : found.stream().map(Product::name).toList();
    }

    private static void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER, "");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            throw new IllegalStateException(sql + ": " + ex.getMessage(), ex);
        }
    }
}
