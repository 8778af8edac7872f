package io.github.multitiercache.cdc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.PostgresServer;
import io.github.multitiercache.testsupport.RedisServer;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** A service instance for the change-data-capture tests: a products cache, a recording tag evictor. */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
@EnableCaching
class CdcTestApp {

    @Bean
    ProductService productService() {
        return new ProductService();
    }

    @Bean
    RecordingTagEvictor recordingTagEvictor(MultiTierCacheManager cacheManager) {
        return new RecordingTagEvictor(cacheManager);
    }

    /** The application's view of products: {@code find(Long id)} cached under the id. */
    static class ProductService {

        final AtomicInteger loads = new AtomicInteger();

        @Cacheable("products")
        public String find(Long id) {
            return "product-" + id + "#" + loads.incrementAndGet();
        }
    }

    /** Records every tag the consumer evicts, then evicts it through the cache manager (the default). */
    static class RecordingTagEvictor implements CdcTagEvictor {

        private final MultiTierCacheManager cacheManager;

        RecordingTagEvictor(MultiTierCacheManager cacheManager) {
            this.cacheManager = cacheManager;
        }

        final List<String> tags = new CopyOnWriteArrayList<>();

        final AtomicInteger failures = new AtomicInteger();

        volatile boolean failing;

        @Override
        public void evictTags(Collection<String> evicted) {
            if (failing) {
                failures.incrementAndGet();
                throw new IllegalStateException("tag store unavailable");
            }
            tags.addAll(evicted);
            cacheManager.evictTags(evicted);
        }
    }

    /** The properties of one instance reading {@code public.products}. */
    static List<String> properties(RedisServer redis, PostgresServer postgres, String name) {
        List<String> properties = new ArrayList<>(List.of(
                "spring.data.redis.host=127.0.0.1",
                "spring.data.redis.port=" + redis.port(),
                "spring.data.redis.timeout=1s",
                "multi-tier-cache.key-prefix=" + name,
                "multi-tier-cache.caches.products.l1.ttl=10m",
                "multi-tier-cache.caches.products.l2.ttl=10m",
                "multi-tier-cache.cdc.enabled=true",
                "multi-tier-cache.cdc.database.host=127.0.0.1",
                "multi-tier-cache.cdc.database.port=" + postgres.port(),
                "multi-tier-cache.cdc.slot-name=" + name,
                "multi-tier-cache.cdc.publication-name=" + name,
                "multi-tier-cache.cdc.lease-ttl=1500ms",
                "multi-tier-cache.cdc.restart-delay=200ms",
                "multi-tier-cache.cdc.tables[public." + name + "].evict[0].cache=products",
                "multi-tier-cache.cdc.tables[public." + name + "].evict[0].key=#{id}",
                "multi-tier-cache.cdc.tables[public." + name + "].tags[0]=product:#{id}",
                "multi-tier-cache.cdc.tables[public." + name + "].tags[1]=category:#{category_id}",
                "multi-tier-cache.cdc.tables[public." + name + "].tags[2]=per-unit:#{100 / qty}"));
        return properties;
    }

    static ConfigurableApplicationContext start(List<String> properties) {
        return new SpringApplicationBuilder(CdcTestApp.class)
                .web(WebApplicationType.NONE)
                .properties(properties.toArray(String[]::new))
                .run();
    }

    /** Creates the table {@code public.<name>} (replica identity full) with products 1 to count. */
    static void createTable(PostgresServer postgres, String name, int count) {
        postgres.sql("CREATE TABLE " + name + " (id bigint PRIMARY KEY, name text, category_id int, qty int);"
                + " ALTER TABLE " + name + " REPLICA IDENTITY FULL;"
                + " INSERT INTO " + name + " SELECT g, 'p' || g, 10, 1 FROM generate_series(1, " + count + ") g");
    }

    static void execute(PostgresServer postgres, String sql) {
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER, "");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Sleeps, or fails the test when interrupted. */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static TieredCache products(ConfigurableApplicationContext context) {
        MultiTierCache cache = context.getBean(MultiTierCacheManager.class).getCache("products");
        if (cache == null) {
            throw new IllegalStateException("no products cache");
        }
        return cache.getNativeCache();
    }

    /** Whether the instance's L1 holds the key. */
    static boolean inL1(ConfigurableApplicationContext context, Object key) {
        return products(context).l1Hit(key) != null;
    }
}
