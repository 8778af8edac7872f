package io.github.multitiercache.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
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
import org.springframework.cache.Cache;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * An L2 (Redis) hit of a small value on loopback, one thread, beside its baselines:
 *
 * <ul>
 * <li>{@code multiTierCacheGet}: {@code MultiTierCache.get(key)} with L1 disabled
 * ({@code multi-tier-cache.defaults.l1.enabled=false}), so every call reads Redis;
 * <li>{@code lettuceGetAndDecode}: a raw Lettuce synchronous {@code GET} of the very same Redis key,
 * on a connection of the same Lettuce client, plus {@code EntryCodec.decode} of the bytes with the
 * cache's own codec (PRODUCT §5's baseline);
 * <li>{@code redisCacheManagerGet}: Spring Boot's {@code RedisCacheManager}
 * ({@code spring.cache.type=redis}, default configuration) {@code Cache.get(key)}.
 * </ul>
 * Sampled ({@code SampleTime}, for p50/p99) and averaged. The teardown fails the run if the
 * multi-tier cache missed Redis even once.
 */
@BenchmarkMode({ Mode.SampleTime, Mode.AverageTime })
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class L2HitBenchmark {

    @Benchmark
    public @Nullable ValueWrapper multiTierCacheGet(MultiTierL2Only state, Keys keys) {
        return state.cache.get(keys.next());
    }

    @Benchmark
    public @Nullable Object lettuceGetAndDecode(RawLettuce state, Keys keys) {
        return state.codec.decode(state.commands.get(state.redisKeys[keys.nextIndex()])).value();
    }

    @Benchmark
    public @Nullable ValueWrapper redisCacheManagerGet(SpringRedis state, Keys keys) {
        return state.cache.get(keys.next());
    }

    /** The auto-configured multi-tier cache with L1 off, every key in Redis. */
    @State(Scope.Benchmark)
    public static class MultiTierL2Only {

        ConfigurableApplicationContext context;
        MultiTierCache cache;
        TieredCache engine;
        long l2Misses;
        long l1Hits;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.defaults.l1.enabled=false");
            cache = CacheContexts.multiTierCache(context);
            engine = cache.getNativeCache();
            // With L1 off the cache may still keep an L1 for hot keys only; none may turn hot here.
            if (engine.settings().l1Enabled()) {
                throw new IllegalStateException("L1 should be disabled");
            }
            for (Long key : Keys.all()) {
                cache.put(key, Product.of(key));
            }
            for (Long key : Keys.all()) {
                Checks.hit(cache.get(key), key);
            }
            l2Misses = engine.statistics().l2Misses();
            l1Hits = engine.statistics().l1Hits();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long extraMisses = engine.statistics().l2Misses() - l2Misses;
            long extraL1Hits = engine.statistics().l1Hits() - l1Hits;
            context.close();
            Checks.zero(extraMisses, "L2 misses during the benchmark");
            Checks.zero(extraL1Hits, "reads served by L1 (a hot key pinned) during the benchmark");
        }
    }

    /**
     * Entries written by the multi-tier cache, then read with a plain Lettuce connection of the
     * same client and decoded with an {@link EntryCodec} built like the cache's own.
     */
    @State(Scope.Benchmark)
    public static class RawLettuce {

        ConfigurableApplicationContext context;
        StatefulRedisConnection<byte[], byte[]> connection;
        RedisCommands<byte[], byte[]> commands;
        EntryCodec codec;
        byte[][] redisKeys;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.defaults.l1.enabled=false");
            MultiTierCache cache = CacheContexts.multiTierCache(context);
            TieredCache engine = cache.getNativeCache();
            CacheSettings settings = engine.settings();
            codec = new EntryCodec(context.getBean(MultiTierCacheManager.class).getContext().serializer(),
                    settings.compressionThreshold(), settings.maxValueSize());
            Long[] keys = Keys.all();
            redisKeys = new byte[keys.length][];
            for (int i = 0; i < keys.length; i++) {
                cache.put(keys[i], Product.of(keys[i]));
                redisKeys[i] = engine.insight().redisKeyOf(keys[i]).getBytes(StandardCharsets.UTF_8);
            }
            RedisClient client = (RedisClient) context.getBean(LettuceConnectionFactory.class).getRequiredNativeClient();
            connection = client.connect(ByteArrayCodec.INSTANCE);
            commands = connection.sync();
            for (int i = 0; i < keys.length; i++) {
                Object value = codec.decode(commands.get(redisKeys[i])).value();
                if (!Product.of(keys[i]).equals(value)) {
                    throw new IllegalStateException("Expected " + Product.of(keys[i]) + " but decoded " + value);
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            connection.close();
            context.close();
        }
    }

    /** Spring Boot's {@code RedisCacheManager}, default configuration, every key in Redis. */
    @State(Scope.Benchmark)
    public static class SpringRedis {

        ConfigurableApplicationContext context;
        Cache cache;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.springRedis(redis.server());
            cache = CacheContexts.cache(context);
            for (Long key : Keys.all()) {
                cache.put(key, Product.of(key));
            }
            for (Long key : Keys.all()) {
                Checks.hit(cache.get(key), key);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            context.close();
        }
    }
}
