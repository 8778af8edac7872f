package io.github.multitiercache.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.RedisCacheManagerBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.cache.RedisCacheWriter;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * A load driver, not a test: counts loader calls per expiry of one hot key when 2 instances
 * (application contexts) × 200 concurrent callers read it right after it expired, for this
 * project's cache (plain {@code @Cacheable}) and for Spring's {@code RedisCacheManager} without and
 * with {@code sync = true}. Skipped unless {@code -Dstampede.driver=true}:
 *
 * <pre>
 * ./mvnw -B -o -q install -DskipTests -pl '!sample-app'
 * ./mvnw -B -o test -pl multi-tier-cache-autoconfigure -Dtest=StampedeLoadDriver -Dstampede.driver=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@EnabledIfSystemProperty(named = "stampede.driver", matches = "true")
class StampedeLoadDriver {

    private static final int INSTANCES = 2;
    private static final int CALLERS_PER_INSTANCE = 200;
    private static final int EXPIRIES = Integer.getInteger("stampede.expiries", 20);
    private static final long TTL_MILLIS = 1000;
    private static final long LOAD_MILLIS = 200;

    @Test
    void countLoaderCallsPerExpiry() throws Exception {
        RedisServer redis = RedisServer.shared();
        StringBuilder report = new StringBuilder();
        report.append(String.format("%d instances x %d callers, %d expiries, loader %dms, TTL %dms%n", INSTANCES,
                CALLERS_PER_INSTANCE, EXPIRIES, LOAD_MILLIS, TTL_MILLIS));
        report.append(run("multi-tier-cache, plain @Cacheable", redis, false, MultiTierConfiguration.class,
                "multi-tier-cache.key-prefix=driver", "multi-tier-cache.defaults.ttl-jitter=0",
                "multi-tier-cache.defaults.l2.ttl=" + TTL_MILLIS + "ms",
                "multi-tier-cache.defaults.l1.ttl=" + TTL_MILLIS + "ms"));
        report.append(run("multi-tier-cache, @Cacheable(sync = true)", redis, true, MultiTierConfiguration.class,
                "multi-tier-cache.key-prefix=driver-sync", "multi-tier-cache.defaults.ttl-jitter=0",
                "multi-tier-cache.defaults.l2.ttl=" + TTL_MILLIS + "ms",
                "multi-tier-cache.defaults.l1.ttl=" + TTL_MILLIS + "ms"));
        report.append(run("RedisCacheManager, plain @Cacheable", redis, false, RedisCacheConfiguration.class,
                "spring.cache.type=redis", "spring.cache.redis.time-to-live=" + TTL_MILLIS + "ms",
                "spring.cache.redis.key-prefix=spring-plain:"));
        report.append(run("RedisCacheManager, @Cacheable(sync = true)", redis, true, RedisCacheConfiguration.class,
                "spring.cache.type=redis", "spring.cache.redis.time-to-live=" + TTL_MILLIS + "ms",
                "spring.cache.redis.key-prefix=spring-sync:"));
        report.append(run("RedisCacheManager, locking writer, sync = true", redis, true,
                LockingRedisCacheConfiguration.class, "spring.cache.type=redis",
                "spring.cache.redis.time-to-live=" + TTL_MILLIS + "ms", "spring.cache.redis.key-prefix=spring-locking:"));
        System.out.println(report);
    }

    private static String run(String name, RedisServer redis, boolean sync, Class<?> configuration,
            String... properties) throws Exception {
        List<ConfigurableApplicationContext> contexts = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * CALLERS_PER_INSTANCE);
        try {
            List<String> all = new ArrayList<>(List.of("spring.data.redis.host=" + redis.host(),
                    "spring.data.redis.port=" + redis.port()));
            all.addAll(List.of(properties));
            List<HotService> services = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                ConfigurableApplicationContext context = new SpringApplicationBuilder(configuration)
                        .web(WebApplicationType.NONE).properties(all.toArray(new String[0])).run();
                contexts.add(context);
                services.add(context.getBean(HotService.class));
            }
            List<Integer> perExpiry = new ArrayList<>();
            List<Long> callMillis = java.util.Collections.synchronizedList(new ArrayList<>());
            int errors = 0;
            for (int round = 0; round < EXPIRIES; round++) {
                Thread.sleep(TTL_MILLIS + 150);
                int before = loads(services);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Object>> futures = new ArrayList<>();
                for (int i = 0; i < INSTANCES * CALLERS_PER_INSTANCE; i++) {
                    HotService service = services.get(i % INSTANCES);
                    futures.add(pool.submit(() -> {
                        start.await();
                        long began = System.nanoTime();
                        Object value = sync ? service.findSync("hot") : service.find("hot");
                        callMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
                        return value;
                    }));
                }
                start.countDown();
                for (Future<Object> future : futures) {
                    try {
                        future.get(30, TimeUnit.SECONDS);
                    }
                    catch (Exception ex) {
                        errors++;
                    }
                }
                perExpiry.add(loads(services) - before);
            }
            List<Long> sorted = new ArrayList<>(callMillis);
            java.util.Collections.sort(sorted);
            String latency = String.format("call ms p50 %d, p99 %d, max %d", sorted.get(sorted.size() / 2),
                    sorted.get((int) (sorted.size() * 0.99)), sorted.get(sorted.size() - 1));
            int total = perExpiry.stream().mapToInt(Integer::intValue).sum();
            return String.format("%-47s loader calls per expiry: mean %.2f, min %d, max %d (total %d, errors %d); %s%n",
                    name, (double) total / EXPIRIES, perExpiry.stream().mapToInt(Integer::intValue).min().orElse(0),
                    perExpiry.stream().mapToInt(Integer::intValue).max().orElse(0), total, errors, latency);
        }
        finally {
            pool.shutdownNow();
            contexts.forEach(ConfigurableApplicationContext::close);
        }
    }

    private static int loads(List<HotService> services) {
        return services.stream().mapToInt(HotService::loads).sum();
    }

    static class HotService {

        private final AtomicInteger loads = new AtomicInteger();

        public int loads() {
            return loads.get();
        }

        @Cacheable("hot")
        public String find(String id) throws InterruptedException {
            return load(id);
        }

        @Cacheable(cacheNames = "hot", sync = true)
        public String findSync(String id) throws InterruptedException {
            return load(id);
        }

        private String load(String id) throws InterruptedException {
            loads.incrementAndGet();
            Thread.sleep(LOAD_MILLIS);
            return "value-" + id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, MultiTierCacheAutoConfiguration.class,
            CacheAutoConfiguration.class })
    static class MultiTierConfiguration {

        @Bean
        HotService hotService() {
            return new HotService();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, CacheAutoConfiguration.class })
    static class RedisCacheConfiguration {

        @Bean
        HotService hotService() {
            return new HotService();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, CacheAutoConfiguration.class })
    static class LockingRedisCacheConfiguration {

        @Bean
        HotService hotService() {
            return new HotService();
        }

        /** Spring's writer that locks the whole cache with one key while a value is written. */
        @Bean
        RedisCacheManagerBuilderCustomizer lockingWriter(RedisConnectionFactory connectionFactory) {
            return builder -> builder.cacheWriter(RedisCacheWriter.lockingRedisCacheWriter(connectionFactory));
        }
    }
}
