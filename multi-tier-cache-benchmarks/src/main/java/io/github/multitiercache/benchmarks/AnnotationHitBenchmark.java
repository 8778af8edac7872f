package io.github.multitiercache.benchmarks;

import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.TieredCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An L1 hit through a {@code @Cacheable} method ({@link ProductService#find(Long)}) of a bean in a
 * small non-web Spring Boot application, with the multi-tier-cache auto-configuration and with
 * Spring Boot's {@code CaffeineCacheManager} ({@code spring.cache.type=caffeine}). The proxy and
 * the key generator are Spring's in all of them.
 *
 * <ul>
 * <li>{@code multiTierCacheable}: the auto-configuration as it comes: an L1 hit is answered by
 * {@code CacheableL1HitAdvisor} before Spring's cache interceptor runs;
 * <li>{@code multiTierCacheableWithoutShortcut}: the same with
 * {@code multi-tier-cache.l1-hit-shortcut=false}, so that every call goes through Spring's cache
 * interceptor, as with {@code CaffeineCacheManager} (diagnostic);
 * <li>{@code caffeineCacheManagerCacheable}: the baseline, bounded like the L1
 * ({@code spec=maximumSize=10000}), and also with the L1's default one-minute TTL
 * ({@code spec=maximumSize=10000,expireAfterWrite=1m}), as most production configurations have.
 * </ul>
 * Every cache holds {@value Keys#FILL} entries; the teardown fails the run if the method body ran
 * during the measurement.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class AnnotationHitBenchmark {

    @Benchmark
    public Product multiTierCacheable(MultiTier state, Keys keys) {
        return state.service.find(keys.next());
    }

    @Benchmark
    public Product multiTierCacheableWithoutShortcut(MultiTierWithoutShortcut state, Keys keys) {
        return state.service.find(keys.next());
    }

    @Benchmark
    public Product caffeineCacheManagerCacheable(SpringCaffeine state, Keys keys) {
        return state.service.find(keys.next());
    }

    /** The application with the multi-tier-cache manager, defaults, every key in L1. */
    @State(Scope.Benchmark)
    public static class MultiTier {

        ConfigurableApplicationContext context;
        ProductService service;
        TieredCache engine;
        long loads;
        long l1Misses;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = start(redis);
            service = context.getBean(ProductService.class);
            engine = CacheContexts.multiTierCache(context).getNativeCache();
            loads = warm(service);
            l1Misses = engine.statistics().l1Misses();
        }

        ConfigurableApplicationContext start(BenchmarkRedis redis) {
            return CacheContexts.multiTier(redis.server());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long extraLoads = service.loads() - loads;
            long extraMisses = engine.statistics().l1Misses() - l1Misses;
            context.close();
            Checks.zero(extraLoads, "loader calls during the benchmark");
            Checks.zero(extraMisses, "L1 misses during the benchmark");
        }
    }

    /** The same application with {@code multi-tier-cache.l1-hit-shortcut=false}. */
    @State(Scope.Benchmark)
    public static class MultiTierWithoutShortcut extends MultiTier {

        @Override
        ConfigurableApplicationContext start(BenchmarkRedis redis) {
            return CacheContexts.multiTier(redis.server(), "multi-tier-cache.l1-hit-shortcut=false");
        }
    }

    /**
     * The application with Spring Boot's {@code CaffeineCacheManager}, every key cached; bounded
     * like the multi-tier L1 by default, and optionally with the same one-minute TTL.
     */
    @State(Scope.Benchmark)
    public static class SpringCaffeine {

        @Param({ "maximumSize=10000", "maximumSize=10000,expireAfterWrite=1m" })
        public String spec;

        ConfigurableApplicationContext context;
        ProductService service;
        long loads;

        @Setup(Level.Trial)
        public void setUp() {
            context = CacheContexts.springCaffeine(spec);
            service = context.getBean(ProductService.class);
            loads = warm(service);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long extraLoads = service.loads() - loads;
            context.close();
            Checks.zero(extraLoads, "loader calls during the benchmark");
        }
    }

    /** Calls the method for every key of the fill, then for the looked-up ones again, which must not load. */
    static long warm(ProductService service) {
        for (Long key : Keys.fill()) {
            service.find(key);
        }
        long loads = service.loads();
        for (Long key : Keys.all()) {
            Checks.notNull(service.find(key), "a product");
        }
        Checks.zero(service.loads() - loads, "loader calls for warm keys");
        return loads;
    }
}
