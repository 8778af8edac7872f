package io.github.multitiercache.benchmarks;

import java.util.concurrent.TimeUnit;

import io.github.multitiercache.spring.MultiTierCache;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An L1 hit through the cache API with the cache's meters bound to a registry ({@code withMeters})
 * and without any registry ({@code withoutMeters}): the meters read counters the engine keeps
 * anyway, so the two should not differ.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class MetersBenchmark {

    /** Switches Boot's meter registry off, and with it the cache's meter binding. */
    static final String NO_METRICS = "spring.autoconfigure.exclude="
            + "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration,"
            + "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration,"
            + "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration";

    @Benchmark
    public @Nullable ValueWrapper withMeters(WithRegistry state, Keys keys) {
        return state.cache.get(keys.next());
    }

    @Benchmark
    public @Nullable ValueWrapper withoutMeters(WithoutRegistry state, Keys keys) {
        return state.cache.get(keys.next());
    }

    @State(Scope.Benchmark)
    public static class WithRegistry {

        ConfigurableApplicationContext context;
        MultiTierCache cache;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server());
            cache = filled(context);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            Checks.check(registry.find("cache.gets").tag("cache", CacheContexts.CACHE).meters().size() == 2,
                    "the cache's meters are bound to the registry");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            context.close();
        }
    }

    @State(Scope.Benchmark)
    public static class WithoutRegistry {

        ConfigurableApplicationContext context;
        MultiTierCache cache;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(), NO_METRICS);
            cache = filled(context);
            Checks.check(context.getBeanNamesForType(MeterRegistry.class).length == 0, "no meter registry");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            context.close();
        }
    }

    static MultiTierCache filled(ConfigurableApplicationContext context) {
        MultiTierCache cache = CacheContexts.multiTierCache(context);
        for (Long key : Keys.fill()) {
            cache.put(key, Product.of(key));
        }
        return cache;
    }
}
