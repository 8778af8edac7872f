package io.github.multitiercache.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
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
import org.openjdk.jmh.infra.Blackhole;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * A read of {@value #BATCH} keys, all in Redis, on loopback, one thread, beside its baselines:
 *
 * <ul>
 * <li>{@code multiTierGetAll}: {@code MultiTierCache.getAll(keys, loader)} with L1 off, so every key
 * is read from Redis (the loader is never called);
 * <li>{@code lettuceMgetAndDecode}: a raw Lettuce synchronous {@code MGET} of the very same Redis
 * keys, on a connection of the same Lettuce client, plus {@code EntryCodec.decode} of each value
 * with the cache's own codec;
 * <li>{@code multiTierGetAllOneMissing}: the same with one key of the {@value #BATCH} in no tier,
 * so that each call reads with the lease script, loads that key and releases its lease;
 * <li>{@code multiTierSingleGets}: {@value #BATCH} calls of {@code MultiTierCache.get(key)} with L1
 * off, one Redis round trip each.
 * </ul>
 * Each call reads the next {@value #BATCH} of 1,024 keys. The teardown fails the run if the cache
 * missed Redis or called the loader even once. Both cache contexts run with a 2 s command timeout
 * ({@link #TOLERANT_TIMEOUT}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class BulkReadBenchmark {

    static final int BATCH = 100;

    /**
     * On a busy shared machine a 100-key batch can outlast the default 250 ms command timeout, and a
     * timed-out read is a miss that the teardown would reject; a call that does not time out costs
     * the same with either bound.
     */
    static final String TOLERANT_TIMEOUT = "multi-tier-cache.redis.command-timeout=2s";

    @Benchmark
    public Map<Long, Product> multiTierGetAll(MultiTierL2Only state) {
        return state.cache.getAll(state.nextBatch(), missing -> {
            throw new IllegalStateException("every key is in Redis, but " + missing + " were loaded");
        });
    }

    @Benchmark
    public Map<Long, Product> multiTierGetAllOneMissing(MultiTierOneMissing state) {
        return state.cache.getAll(state.nextBatch(), missing -> Map.of());
    }

    @Benchmark
    public void lettuceMgetAndDecode(RawLettuce state, Blackhole sink) {
        for (KeyValue<byte[], byte[]> value : state.commands.mget(state.nextBatch())) {
            sink.consume(state.codec.decode(value.getValue()).value());
        }
    }

    @Benchmark
    public void multiTierSingleGets(MultiTierL2Only state, Blackhole sink) {
        for (Long key : state.nextBatch()) {
            sink.consume(state.cache.get(key));
        }
    }

    /** The auto-configured multi-tier cache with L1 off, every key in Redis. */
    @State(Scope.Benchmark)
    public static class MultiTierL2Only {

        ConfigurableApplicationContext context;
        MultiTierCache cache;
        TieredCache engine;
        List<List<Long>> batches;
        int next;
        long l2Misses;
        long loads;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.defaults.l1.enabled=false",
                    TOLERANT_TIMEOUT);
            cache = CacheContexts.multiTierCache(context);
            engine = cache.getNativeCache();
            if (engine.settings().l1Enabled()) {
                throw new IllegalStateException("L1 should be disabled");
            }
            Long[] keys = Keys.all();
            for (Long key : keys) {
                cache.put(key, Product.of(key));
            }
            batches = batches(Arrays.asList(keys));
            for (List<Long> batch : batches) {
                Checks.check(cache.getAll(batch).size() == BATCH, "every key of a batch in Redis");
                ValueWrapper first = cache.get(batch.get(0));
                Checks.hit(first, batch.get(0));
            }
            l2Misses = engine.statistics().l2Misses();
            loads = engine.statistics().loads();
        }

        List<Long> nextBatch() {
            List<Long> batch = batches.get(next);
            next = (next + 1) % batches.size();
            return batch;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long extraMisses = engine.statistics().l2Misses() - l2Misses;
            long extraLoads = engine.statistics().loads() - loads;
            context.close();
            Checks.zero(extraMisses, "L2 misses during the benchmark");
            Checks.zero(extraLoads, "loads during the benchmark");
        }
    }

    /**
     * As {@link MultiTierL2Only}, but each batch is {@value #BATCH} keys of which one is in no tier
     * and left out by the loader, with nulls not cached: every call reads with the script that also
     * leases, leases that key, calls the loader, and releases the lease (two round trips).
     */
    @State(Scope.Benchmark)
    public static class MultiTierOneMissing {

        ConfigurableApplicationContext context;
        MultiTierCache cache;
        TieredCache engine;
        List<List<Long>> batches;
        int next;
        long loads;
        long calls;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.defaults.l1.enabled=false",
                    "multi-tier-cache.defaults.cache-null-values=false", TOLERANT_TIMEOUT);
            cache = CacheContexts.multiTierCache(context);
            engine = cache.getNativeCache();
            Checks.check(!engine.settings().l1Enabled() && !engine.settings().cacheNullValues(),
                    "L1 off and nulls not cached");
            Long[] keys = Keys.all();
            for (Long key : keys) {
                cache.put(key, Product.of(key));
            }
            batches = new ArrayList<>();
            for (int from = 0; from + BATCH - 1 <= keys.length; from += BATCH - 1) {
                List<Long> batch = new ArrayList<>(Arrays.asList(keys).subList(from, from + BATCH - 1));
                batch.add(-1L - batches.size());
                batches.add(List.copyOf(batch));
            }
            for (List<Long> batch : batches) {
                Checks.check(cache.getAll(batch, missing -> Map.of()).size() == BATCH - 1,
                        "every key of a batch but one in Redis");
            }
            loads = engine.statistics().loads();
        }

        List<Long> nextBatch() {
            List<Long> batch = batches.get(next);
            next = (next + 1) % batches.size();
            calls++;
            return batch;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long extraLoads = engine.statistics().loads() - loads;
            context.close();
            Checks.check(extraLoads == calls, "one key loaded per call");
        }
    }

    /**
     * Entries written by the multi-tier cache, then read with {@code MGET} on a plain Lettuce
     * connection of the same client and decoded with an {@link EntryCodec} built like the cache's own.
     */
    @State(Scope.Benchmark)
    public static class RawLettuce {

        ConfigurableApplicationContext context;
        StatefulRedisConnection<byte[], byte[]> connection;
        RedisCommands<byte[], byte[]> commands;
        EntryCodec codec;
        List<byte[][]> batches;
        int next;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.defaults.l1.enabled=false",
                    TOLERANT_TIMEOUT);
            MultiTierCache cache = CacheContexts.multiTierCache(context);
            TieredCache engine = cache.getNativeCache();
            CacheSettings settings = engine.settings();
            codec = new EntryCodec(context.getBean(MultiTierCacheManager.class).getContext().serializer(),
                    settings.compressionThreshold(), settings.maxValueSize());
            Long[] keys = Keys.all();
            byte[][] redisKeys = new byte[keys.length][];
            for (int i = 0; i < keys.length; i++) {
                cache.put(keys[i], Product.of(keys[i]));
                redisKeys[i] = engine.insight().redisKeyOf(keys[i]).getBytes(StandardCharsets.UTF_8);
            }
            batches = new ArrayList<>();
            for (int from = 0; from + BATCH <= keys.length; from += BATCH) {
                batches.add(Arrays.copyOfRange(redisKeys, from, from + BATCH));
            }
            RedisClient client = (RedisClient) context.getBean(LettuceConnectionFactory.class).getRequiredNativeClient();
            connection = client.connect(ByteArrayCodec.INSTANCE);
            commands = connection.sync();
            for (byte[][] batch : batches) {
                for (KeyValue<byte[], byte[]> value : commands.mget(batch)) {
                    Checks.notNull(codec.decode(value.getValue()).value(), "a decoded value");
                }
            }
        }

        byte[][] nextBatch() {
            byte[][] batch = batches.get(next);
            next = (next + 1) % batches.size();
            return batch;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            connection.close();
            context.close();
        }
    }

    private static List<List<Long>> batches(List<Long> keys) {
        List<List<Long>> batches = new ArrayList<>();
        for (int from = 0; from + BATCH <= keys.size(); from += BATCH) {
            batches.add(List.copyOf(keys.subList(from, from + BATCH)));
        }
        return batches;
    }
}
