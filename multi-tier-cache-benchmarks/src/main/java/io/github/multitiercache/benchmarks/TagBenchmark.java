package io.github.multitiercache.benchmarks;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.jspecify.annotations.Nullable;
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
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Tags (see {@code docs/tags.md}).
 *
 * <ul>
 * <li>{@code l1Hit}: {@code TieredCache.lookup(key)} of an L1 entry carrying {@code tags} tags; 0 is
 * an untagged entry, today's hit. The tag epoch does not move during the run (no eviction), so a
 * tagged hit costs the epoch check only.
 * <li>{@code l1HitAfterAnUnrelatedEviction}: the same, with an eviction of an unrelated tag before
 * every {@value Keys#COUNT} hits: each entry is checked against the knowledge once after each
 * eviction (the price of a moving epoch).
 * <li>{@code evictTagOf100kEntries}: {@code MultiTierCacheManager.evictTags} of a tag that 100,000
 * entries in Redis carry: one {@code EVALSHA} (whose script runs a {@code GET} and a {@code SET})
 * and one {@code PUBLISH}, whatever the number of entries; the teardown fails the run if the
 * commands per eviction are more than that.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class TagBenchmark {

    @Benchmark
    public @Nullable ValueWrapper l1Hit(Tagged state, Keys keys) {
        return state.engine.lookup(keys.next());
    }

    @Benchmark
    public @Nullable ValueWrapper l1HitAfterAnUnrelatedEviction(Tagged state, Keys keys) {
        if (++state.calls % Keys.COUNT == 0) {
            state.manager.evictTags(List.of("unrelated"));
        }
        return state.engine.lookup(keys.next());
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
    public void evictTagOf100kEntries(Evicting state) {
        state.manager.evictTags(Evicting.TAG);
        state.evictions++;
    }

    /** Every key in L1 (and Redis), each carrying {@code tags} tags. */
    @State(Scope.Benchmark)
    public static class Tagged {

        @Param({ "0", "1", "5" })
        public int tags;

        ConfigurableApplicationContext context;
        MultiTierCacheManager manager;
        TieredCache engine;
        long l1MissesBefore;
        long calls;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            // A timed-out write on the loaded build machine would drop L1 at Redis's recovery.
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.redis.command-timeout=2s");
            MultiTierCache cache = CacheContexts.multiTierCache(context);
            manager = (MultiTierCacheManager) context.getBean(org.springframework.cache.CacheManager.class);
            engine = cache.getNativeCache();
            for (Long key : Keys.fill()) {
                Set<String> tagsOfKey = new LinkedHashSet<>();
                for (int i = 0; i < tags; i++) {
                    tagsOfKey.add((i == 0) ? "product:" + key : "category:" + (key % (10 * i)));
                }
                cache.put(key, Product.of(key), tagsOfKey);
            }
            for (Long key : Keys.all()) {
                Checks.hit(engine.lookup(key), key);
            }
            l1MissesBefore = engine.statistics().l1Misses();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long misses = engine.statistics().l1Misses() - l1MissesBefore;
            context.close();
            Checks.zero(misses, "L1 misses during the benchmark");
        }
    }

    /** 100,000 entries in Redis carrying one tag. */
    @State(Scope.Benchmark)
    public static class Evicting {

        static final List<String> TAG = List.of("category:everything");
        static final int ENTRIES = 100_000;

        ConfigurableApplicationContext context;
        MultiTierCacheManager manager;
        BenchmarkRedis redis;
        long commandsBefore;
        long evictions;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            this.redis = redis;
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.redis.command-timeout=2s");
            MultiTierCache cache = CacheContexts.multiTierCache(context);
            manager = (MultiTierCacheManager) context.getBean(org.springframework.cache.CacheManager.class);
            for (long key = 0; key < ENTRIES; key++) {
                cache.put(key, Product.of(key), Set.copyOf(TAG));
            }
            commandsBefore = redis.commandCalls();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            // Redis counts the GET and SET the script runs as commands too (commandstats), and the
            // heartbeats of the invalidation bus (a PUBLISH per second): 4 per eviction, whatever the
            // number of entries, with 2 round trips (EVALSHA, PUBLISH).
            long commands = redis.commandCalls() - commandsBefore;
            context.close();
            System.out.println("Redis commands per eviction (script's GET and SET, heartbeats included): "
                    + (double) commands / evictions);
            if (commands > 4 * evictions + 200) {
                throw new IllegalStateException(commands + " Redis commands for " + evictions
                        + " evictions: more than EVALSHA (GET, SET) and PUBLISH each");
            }
        }
    }
}
