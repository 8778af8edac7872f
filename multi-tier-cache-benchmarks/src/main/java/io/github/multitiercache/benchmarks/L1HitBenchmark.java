package io.github.multitiercache.benchmarks;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
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
 * An L1 hit through the cache API, beside raw Caffeine and Spring's {@code CaffeineCacheManager}.
 *
 * <ul>
 * <li>{@code multiTierCacheGet}: {@code MultiTierCache.get(key)}, the call {@code @Cacheable} makes,
 * with the auto-configured defaults (L1 of 10,000 entries over Redis);
 * <li>{@code tieredCacheLookup}: the engine's {@code TieredCache.lookup(key)} below it;
 * <li>{@code l1TierGet}: the engine's {@code L1Tier.get(key)} below that (diagnostic);
 * <li>{@code systemNanoTime}: one {@code System.nanoTime()}, the clock read that any per-entry
 * expiry costs on a hit (diagnostic);
 * <li>{@code caffeineGetIfPresent}: a raw Caffeine {@code getIfPresent}, {@code maximumSize(10_000)}
 * (PRODUCT §5's baseline);
 * <li>{@code caffeineVariableExpiryGetIfPresent}: raw Caffeine configured like the L1 tier
 * ({@code maximumSize} plus per-entry expiry), to tell Caffeine's own cost of expiry from ours;
 * <li>{@code caffeineVariableExpiryCachedTickerGetIfPresent}: the same with a {@code Ticker} that
 * returns a time kept in a field instead of calling {@code System.nanoTime()} (diagnostic: what
 * per-entry expiry costs on a hit without a clock read);
 * <li>{@code caffeineCacheManagerGet}: Spring's {@code CaffeineCacheManager} cache {@code get(key)},
 * {@code spec=maximumSize=10000} (the baseline) and {@code spec=maximumSize=10000,expireAfterWrite=1m}.
 * </ul>
 * Every cache holds {@value Keys#FILL} entries and every lookup hits one of {@value Keys#COUNT} of
 * them; the teardown fails the run if the multi-tier cache missed L1 even once.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class L1HitBenchmark {

    @Benchmark
    public @Nullable ValueWrapper multiTierCacheGet(MultiTier state, Keys keys) {
        return state.cache.get(keys.next());
    }

    @Benchmark
    public @Nullable ValueWrapper tieredCacheLookup(MultiTier state, Keys keys) {
        return state.engine.lookup(keys.next());
    }

    @Benchmark
    public @Nullable Object l1TierGet(MultiTier state, Keys keys) {
        return state.l1.get(keys.next());
    }

    @Benchmark
    public long systemNanoTime() {
        return System.nanoTime();
    }

    @Benchmark
    public @Nullable Object caffeineGetIfPresent(RawCaffeine state, Keys keys) {
        return state.cache.getIfPresent(keys.next());
    }

    @Benchmark
    public @Nullable Object caffeineVariableExpiryGetIfPresent(RawCaffeineVariableExpiry state, Keys keys) {
        return state.cache.getIfPresent(keys.next());
    }

    @Benchmark
    public @Nullable Object caffeineVariableExpiryCachedTickerGetIfPresent(RawCaffeineVariableExpiryCachedTicker state,
            Keys keys) {
        return state.cache.getIfPresent(keys.next());
    }

    @Benchmark
    public @Nullable ValueWrapper caffeineCacheManagerGet(SpringCaffeine state, Keys keys) {
        return state.cache.get(keys.next());
    }

    /** The auto-configured multi-tier cache, every key in L1 (and Redis). */
    @State(Scope.Benchmark)
    public static class MultiTier {

        ConfigurableApplicationContext context;
        MultiTierCache cache;
        TieredCache engine;
        L1Tier l1;
        long l1MissesBefore;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server());
            cache = CacheContexts.multiTierCache(context);
            engine = cache.getNativeCache();
            l1 = Objects.requireNonNull(engine.insight().l1(), "L1 is disabled");
            for (Long key : Keys.fill()) {
                cache.put(key, Product.of(key));
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

    /** Raw Caffeine, bounded like the L1 default. */
    @State(Scope.Benchmark)
    public static class RawCaffeine {

        Cache<Object, Object> cache;

        @Setup(Level.Trial)
        public void setUp() {
            cache = Caffeine.newBuilder().maximumSize(10_000).build();
            for (Long key : Keys.fill()) {
                cache.put(key, Product.of(key));
            }
        }
    }

    /** Raw Caffeine with a per-entry expiry, as the L1 tier builds it. */
    @State(Scope.Benchmark)
    public static class RawCaffeineVariableExpiry {

        Cache<Object, Object> cache;

        @Setup(Level.Trial)
        public void setUp() {
            cache = variableExpiry(Ticker.systemTicker());
        }
    }

    /**
     * Raw Caffeine with a per-entry expiry and a ticker that reads a field (which something would
     * have to advance, say every millisecond, in real use; here it stands still).
     */
    @State(Scope.Benchmark)
    public static class RawCaffeineVariableExpiryCachedTicker {

        volatile long nanos = System.nanoTime();
        Cache<Object, Object> cache;

        @Setup(Level.Trial)
        public void setUp() {
            cache = variableExpiry(() -> nanos);
        }
    }

    static Cache<Object, Object> variableExpiry(Ticker ticker) {
        Cache<Object, Object> cache = Caffeine.newBuilder()
                .maximumSize(10_000)
                .ticker(ticker)
                .expireAfter(new Expiry<Object, Object>() {
                    @Override
                    public long expireAfterCreate(Object key, Object value, long currentTime) {
                        return TimeUnit.MINUTES.toNanos(1);
                    }

                    @Override
                    public long expireAfterUpdate(Object key, Object value, long currentTime, long currentDuration) {
                        return TimeUnit.MINUTES.toNanos(1);
                    }

                    @Override
                    public long expireAfterRead(Object key, Object value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
        for (Long key : Keys.fill()) {
            cache.put(key, Product.of(key));
        }
        return cache;
    }

    /**
     * Spring's {@code CaffeineCacheManager}, bounded like the L1 default, and also with the L1's
     * default one-minute TTL, as most production configurations have.
     */
    @State(Scope.Benchmark)
    public static class SpringCaffeine {

        @Param({ "maximumSize=10000", "maximumSize=10000,expireAfterWrite=1m" })
        public String spec;

        org.springframework.cache.Cache cache;

        @Setup(Level.Trial)
        public void setUp() {
            CaffeineCacheManager manager = new CaffeineCacheManager();
            manager.setCacheSpecification(spec);
            // A CaffeineCacheManager without fixed cache names creates any cache asked for.
            cache = Objects.requireNonNull(manager.getCache(CacheContexts.CACHE));
            for (Long key : Keys.fill()) {
                cache.put(key, Product.of(key));
            }
            for (Long key : Keys.all()) {
                Checks.hit(cache.get(key), key);
            }
        }
    }
}
