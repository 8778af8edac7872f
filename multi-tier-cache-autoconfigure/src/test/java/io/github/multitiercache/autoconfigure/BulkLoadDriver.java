package io.github.multitiercache.autoconfigure;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import io.github.multitiercache.annotation.CacheableAll;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A load driver, not a test: 2 instances (application contexts) × 50 concurrent callers of a
 * {@code @CacheableAll} method, each asking for 40 ids out of a window of 200 that none has cached,
 * so that the callers' id sets overlap; per round it counts the loads of each id, the method's calls
 * and the Redis commands ({@code INFO commandstats}). Skipped unless {@code -Dbulk.driver=true}:
 *
 * <pre>
 * ./mvnw -B -o -q install -DskipTests -pl '!sample-app'
 * ./mvnw -B -o test -pl multi-tier-cache-autoconfigure -Dtest=BulkLoadDriver -Dbulk.driver=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dbulk.command-timeout=2s]
 * </pre>
 */
@EnabledIfSystemProperty(named = "bulk.driver", matches = "true")
class BulkLoadDriver {

    private static final int INSTANCES = 2;
    private static final int CALLERS_PER_INSTANCE = 50;
    private static final int IDS_PER_CALL = 40;
    private static final int WINDOW = 200;
    private static final int ROUNDS = Integer.getInteger("bulk.rounds", 10);
    private static final long LOAD_MILLIS = 50;
    // The default bound; a starved machine may need more, or timed-out calls load without the lease.
    private static final String COMMAND_TIMEOUT = System.getProperty("bulk.command-timeout", "250ms");
    private static final Pattern CALLS = Pattern.compile("cmdstat_(mget|evalsha|eval):calls=(\\d+)");

    @Test
    void countLoadsPerIdAndCommandsPerCall() throws Exception {
        RedisServer redis = RedisServer.start();
        List<ConfigurableApplicationContext> contexts = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * CALLERS_PER_INSTANCE);
        try {
            List<Catalogue> instances = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                ConfigurableApplicationContext context = new SpringApplicationBuilder(DriverConfiguration.class)
                        .web(WebApplicationType.NONE)
                        .properties("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                                "multi-tier-cache.key-prefix=bulk-driver",
                                "multi-tier-cache.redis.command-timeout=" + COMMAND_TIMEOUT)
                        .run();
                contexts.add(context);
                instances.add(context.getBean(Catalogue.class));
            }
            StringBuilder report = new StringBuilder(String.format("%d instances x %d callers, %d of %d ids each,"
                    + " loader %dms, %d rounds, command timeout %s%n", INSTANCES, CALLERS_PER_INSTANCE, IDS_PER_CALL,
                    WINDOW, LOAD_MILLIS, ROUNDS, COMMAND_TIMEOUT));
            List<Long> callMillis = Collections.synchronizedList(new ArrayList<>());
            int maxLoadsPerId = 0;
            int methodCalls = 0;
            Map<String, Long> commands = new LinkedHashMap<>();
            for (int round = 0; round < ROUNDS; round++) {
                long base = 1_000_000L * (round + 1);
                Map<Long, AtomicInteger> loads = new ConcurrentHashMap<>();
                AtomicInteger calls = new AtomicInteger();
                instances.forEach(instance -> instance.countIn(loads, calls));
                redis.command("CONFIG", "RESETSTAT");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> futures = new ArrayList<>();
                for (int i = 0; i < INSTANCES * CALLERS_PER_INSTANCE; i++) {
                    int caller = i;
                    Catalogue instance = instances.get(i % INSTANCES);
                    futures.add(pool.submit(() -> {
                        List<Long> ids = IntStream.range(0, IDS_PER_CALL)
                                .mapToObj(n -> base + (caller * 13L + n * 7L) % WINDOW).toList();
                        start.await();
                        long began = System.nanoTime();
                        int found = instance.findAll(ids).size();
                        callMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
                        return found;
                    }));
                }
                start.countDown();
                for (Future<Integer> future : futures) {
                    assertThat(future.get(60, TimeUnit.SECONDS)).isEqualTo(IDS_PER_CALL);
                }
                maxLoadsPerId = Math.max(maxLoadsPerId, loads.values().stream().mapToInt(AtomicInteger::get).max()
                        .orElse(0));
                methodCalls += calls.get();
                Matcher matcher = CALLS.matcher(redis.info("commandstats"));
                while (matcher.find()) {
                    commands.merge(matcher.group(1), Long.parseLong(matcher.group(2)), Long::sum);
                }
                assertThat(loads).hasSize(WINDOW);
            }
            int callCount = ROUNDS * INSTANCES * CALLERS_PER_INSTANCE;
            List<Long> sorted = new ArrayList<>(callMillis);
            Collections.sort(sorted);
            report.append(String.format("most loads of one id in a round: %d; method calls per round: %.1f%n",
                    maxLoadsPerId, (double) methodCalls / ROUNDS));
            report.append(String.format("call ms p50 %d, p99 %d, max %d%n", sorted.get(sorted.size() / 2),
                    sorted.get((int) (sorted.size() * 0.99)), sorted.get(sorted.size() - 1)));
            commands.forEach((command, count) -> report.append(String.format("%s per bulk call: %.2f%n", command,
                    (double) count / callCount)));
            System.out.println(report);
            assertThat(maxLoadsPerId).isEqualTo(1);
        }
        finally {
            pool.shutdownNow();
            contexts.forEach(ConfigurableApplicationContext::close);
            redis.close();
        }
    }

    static class Catalogue {

        private volatile Map<Long, AtomicInteger> loads = new ConcurrentHashMap<>();
        private volatile AtomicInteger calls = new AtomicInteger();

        public void countIn(Map<Long, AtomicInteger> loads, AtomicInteger calls) {
            this.loads = loads;
            this.calls = calls;
        }

        @CacheableAll("items")
        public Map<Long, String> findAll(Collection<Long> ids) throws InterruptedException {
            calls.incrementAndGet();
            ids.forEach(id -> loads.computeIfAbsent(id, any -> new AtomicInteger()).incrementAndGet());
            Thread.sleep(LOAD_MILLIS);
            Map<Long, String> found = new LinkedHashMap<>();
            ids.forEach(id -> found.put(id, "item-" + id));
            return found;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, MultiTierCacheAutoConfiguration.class,
            CacheAutoConfiguration.class })
    static class DriverConfiguration {

        @Bean
        Catalogue catalogue() {
            return new Catalogue();
        }
    }
}
