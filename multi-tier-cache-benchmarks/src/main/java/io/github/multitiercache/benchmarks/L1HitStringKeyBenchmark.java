package io.github.multitiercache.benchmarks;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.spring.MultiTierCache;
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
import org.springframework.cache.caffeine.CaffeineCacheManager;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An L1 hit through the cache API with {@code String} keys in a large, mostly empty cache: every
 * cache is bounded at {@value StringKeys#BOUND} entries and holds only the {@value StringKeys#COUNT}
 * keys looked up, beside raw Caffeine and Spring's {@code CaffeineCacheManager}.
 *
 * <p>This is the other shape of {@link L1HitBenchmark}: there, caches are filled to 80 % of their
 * bound; here, to about 1 %. Below half its bound a Caffeine cache without per-access or per-entry
 * expiry records no reads at all (its frequency sketch is not built yet), so Spring's
 * {@code CaffeineCacheManager} is at its cheapest, and a cache that records every read pays for
 * maintenance the baseline never runs.
 *
 * <ul>
 * <li>{@code multiTierCacheGet}: {@code MultiTierCache.get(key)}, the auto-configured defaults but
 * {@code l1.maximum-size=100000}, hot-key detection and statistics on;
 * <li>{@code tieredCacheLookup}: the engine's {@code TieredCache.lookup(key)} below it;
 * <li>{@code l1TierGet}: the engine's {@code L1Tier.get(key)} below that (diagnostic);
 * <li>{@code caffeineGetIfPresent}: a raw Caffeine {@code getIfPresent}, {@code maximumSize(100_000)};
 * <li>{@code caffeineCacheManagerGet}: Spring's {@code CaffeineCacheManager} cache {@code get(key)},
 * {@code spec=maximumSize=100000} (the baseline) and {@code spec=maximumSize=100000,expireAfterWrite=1m}.
 * </ul>
 * The teardown fails the run if the multi-tier cache missed L1 even once.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class L1HitStringKeyBenchmark {

    @Benchmark
    public @Nullable ValueWrapper multiTierCacheGet(MultiTier state, StringKeys keys) {
        return state.cache.get(keys.next());
    }

    @Benchmark
    public @Nullable ValueWrapper tieredCacheLookup(MultiTier state, StringKeys keys) {
        return state.engine.lookup(keys.next());
    }

    @Benchmark
    public @Nullable Object l1TierGet(MultiTier state, StringKeys keys) {
        return state.l1.get(keys.next());
    }

    @Benchmark
    public @Nullable Object caffeineGetIfPresent(RawCaffeine state, StringKeys keys) {
        return state.cache.getIfPresent(keys.next());
    }

    @Benchmark
    public @Nullable ValueWrapper caffeineCacheManagerGet(SpringCaffeine state, StringKeys keys) {
        return state.cache.get(keys.next());
    }

    /** A thread's walk over the {@value #COUNT} keys, made in advance (their hash codes too). */
    @State(Scope.Thread)
    public static class StringKeys {

        /** The number of keys, every one of them cached and looked up; a power of two. */
        public static final int COUNT = 1024;

        /** The bound of every cache. */
        public static final int BOUND = 100_000;

        private static final String[] KEYS = new String[COUNT];

        static {
            for (int i = 0; i < COUNT; i++) {
                KEYS[i] = "product:" + (100_000 + i);
                KEYS[i].hashCode();
            }
        }

        private int index;

        /** @return the next key, round-robin */
        public String next() {
            return KEYS[index++ & (COUNT - 1)];
        }

        /** @return the keys */
        static String[] all() {
            return KEYS.clone();
        }
    }

    /** The auto-configured multi-tier cache bounded at {@value StringKeys#BOUND}, every key in L1 (and Redis). */
    @State(Scope.Benchmark)
    public static class MultiTier {

        ConfigurableApplicationContext context;
        MultiTierCache cache;
        TieredCache engine;
        L1Tier l1;
        long l1MissesBefore;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(),
                    "multi-tier-cache.defaults.l1.maximum-size=" + StringKeys.BOUND);
            cache = CacheContexts.multiTierCache(context);
            engine = cache.getNativeCache();
            l1 = Objects.requireNonNull(engine.insight().l1(), "L1 is disabled");
            long bound = engine.settings().l1MaximumSize();
            Checks.check(bound == StringKeys.BOUND, "an L1 bounded at " + StringKeys.BOUND + ", not " + bound);
            for (String key : StringKeys.all()) {
                cache.put(key, Product.of(key.hashCode()));
            }
            for (String key : StringKeys.all()) {
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

    /** Raw Caffeine, bounded at {@value StringKeys#BOUND}. */
    @State(Scope.Benchmark)
    public static class RawCaffeine {

        Cache<Object, Object> cache;

        @Setup(Level.Trial)
        public void setUp() {
            cache = Caffeine.newBuilder().maximumSize(StringKeys.BOUND).build();
            for (String key : StringKeys.all()) {
                cache.put(key, Product.of(key.hashCode()));
            }
        }
    }

    /** Spring's {@code CaffeineCacheManager}, bounded at {@value StringKeys#BOUND}, without and with a TTL. */
    @State(Scope.Benchmark)
    public static class SpringCaffeine {

        @Param({ "maximumSize=100000", "maximumSize=100000,expireAfterWrite=1m" })
        public String spec;

        org.springframework.cache.Cache cache;

        @Setup(Level.Trial)
        public void setUp() {
            CaffeineCacheManager manager = new CaffeineCacheManager();
            manager.setCacheSpecification(spec);
            cache = Objects.requireNonNull(manager.getCache(CacheContexts.CACHE));
            for (String key : StringKeys.all()) {
                cache.put(key, Product.of(key.hashCode()));
            }
            for (String key : StringKeys.all()) {
                Checks.hit(cache.get(key), key);
            }
        }
    }
}
