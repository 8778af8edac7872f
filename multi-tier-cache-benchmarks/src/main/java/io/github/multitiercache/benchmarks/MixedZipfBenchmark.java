package io.github.multitiercache.benchmarks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.cache.RedisCache;
import org.springframework.data.redis.cache.RedisCacheConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * A mixed workload, one thread: {@value #WRITE_PERCENT} % {@code put}s and the rest
 * {@code get}s, over {@value #KEY_SPACE} keys drawn from a scrambled Zipf distribution (exponent
 * {@value ZipfSequence#EXPONENT}), every key present in Redis from the start. The multi-tier cache
 * runs with its L1 bounded to 10 % of the keys ({@value #L1_SIZE}); Spring Boot's
 * {@code RedisCacheManager} in its default configuration is the baseline.
 *
 * <p>Both contenders replay the same precomputed request sequence. The multi-tier L1 is warmed by
 * replaying the {@value #WARM_REQUESTS} requests before it as reads during setup (the baseline has
 * no local state to warm). Secondary results count, per measurement iteration and summed by
 * JMH, the requests made and every command Redis executed ({@code INFO commandstats} deltas), so
 * that {@code redisCalls / requests} is the number of Redis calls per request.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class MixedZipfBenchmark {

    /** The number of distinct keys. */
    static final int KEY_SPACE = 1_000_000;

    /** The L1 maximum size: 10 % of the keys. */
    static final int L1_SIZE = KEY_SPACE / 10;

    /** Writes per 100 requests. */
    static final int WRITE_PERCENT = 5;

    /** The length of the precomputed request sequence, a power of two; measurement wraps around it. */
    static final int SEQUENCE = 1 << 21;

    /** The requests at the start of the sequence that warm L1 during setup. */
    static final int WARM_REQUESTS = 1 << 18;

    private static final Duration TTL = Duration.ofHours(1);

    private static final int PIPELINE_BATCH = 10_000;

    @Benchmark
    public @Nullable Object multiTier(MultiTier state, Workload workload, MultiTierRequests requests) {
        return workload.apply(state.cache, requests.next());
    }

    @Benchmark
    public @Nullable Object redisCacheManager(SpringRedis state, Workload workload, SpringRequests requests) {
        return workload.apply(state.cache, requests.next());
    }

    /** The request sequence, shared by both contenders. */
    @State(Scope.Benchmark)
    public static class Workload {

        Long[] keys;
        int[] sequence;
        boolean[] writes;

        @Setup(Level.Trial)
        public void setUp() {
            keys = new Long[KEY_SPACE];
            for (int i = 0; i < KEY_SPACE; i++) {
                keys[i] = Long.valueOf(1_000_000L + i);
            }
            sequence = ZipfSequence.generate(KEY_SPACE, SEQUENCE, 20_240_601L);
            writes = new boolean[SEQUENCE];
            SplittableRandom random = new SplittableRandom(7L);
            for (int i = 0; i < SEQUENCE; i++) {
                writes[i] = random.nextInt(100) < WRITE_PERCENT;
            }
        }

        @Nullable Object apply(Cache cache, int position) {
            Long key = keys[sequence[position]];
            if (writes[position]) {
                cache.put(key, Product.of(key));
                return key;
            }
            return cache.get(key);
        }
    }

    /** The auto-configured multi-tier cache, L1 of {@value #L1_SIZE}, every key in Redis. */
    @State(Scope.Benchmark)
    public static class MultiTier {

        ConfigurableApplicationContext context;
        MultiTierCache cache;
        TieredCache engine;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis, Workload workload) {
            context = CacheContexts.multiTier(redis.server(),
                    "multi-tier-cache.defaults.l1.maximum-size=" + L1_SIZE,
                    "multi-tier-cache.defaults.l2.ttl=" + TTL.toSeconds() + "s");
            cache = CacheContexts.multiTierCache(context);
            engine = cache.getNativeCache();
            CacheSettings settings = engine.settings();
            EntryCodec codec = new EntryCodec(context.getBean(MultiTierCacheManager.class).getContext().serializer(),
                    settings.compressionThreshold(), settings.maxValueSize());
            long now = System.currentTimeMillis();
            populate(context, workload, SetArgs.Builder.px(TTL.toMillis()),
                    id -> engine.insight().redisKeyOf(id).getBytes(StandardCharsets.UTF_8),
                    id -> codec.encode(new StoredEntry(Product.of(id), now, now + TTL.toMillis(), 0)));
            Long sample = workload.keys[KEY_SPACE - 1];
            Checks.hit(engine.lookup(sample), sample);
            engine.evict(sample);
            cache.put(sample, Product.of(sample));
            for (int i = 0; i < WARM_REQUESTS; i++) {
                cache.get(workload.keys[workload.sequence[i]]);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            context.close();
        }
    }

    /** Spring Boot's {@code RedisCacheManager}, default configuration, every key in Redis. */
    @State(Scope.Benchmark)
    public static class SpringRedis {

        ConfigurableApplicationContext context;
        Cache cache;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis, Workload workload) {
            context = CacheContexts.springRedis(redis.server());
            cache = CacheContexts.cache(context);
            RedisCacheConfiguration configuration = ((RedisCache) cache).getCacheConfiguration();
            String prefix = configuration.getKeyPrefixFor(CacheContexts.CACHE);
            populate(context, workload, null,
                    id -> bytes(configuration.getKeySerializationPair().write(prefix + id)),
                    id -> bytes(configuration.getValueSerializationPair().write(Product.of(id))));
            Long sample = workload.keys[KEY_SPACE - 1];
            Checks.hit(cache.get(sample), sample);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            context.close();
        }
    }

    /**
     * The multi-tier cache's position in the sequence and its secondary results, counts per
     * iteration that JMH sums over the measurement iterations: {@code requests}, {@code redisCalls},
     * {@code l1Hits}, {@code misses} (requests neither tier answered: must be 0, every key is in
     * Redis) and {@code redisFailures} (Redis calls that failed or timed out, or that the circuit
     * breaker refused).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class MultiTierRequests {

        public long requests;
        public long redisCalls;
        public long l1Hits;
        public long misses;
        public long redisFailures;

        private final Position position = new Position();
        private long callsBefore;
        private long l1HitsBefore;
        private long missesBefore;
        private long failuresBefore;

        @Setup(Level.Iteration)
        public void begin(BenchmarkRedis redis, MultiTier state) {
            position.requests = 0;
            callsBefore = redis.commandCalls();
            l1HitsBefore = state.engine.statistics().l1Hits();
            missesBefore = state.engine.statistics().misses();
            failuresBefore = failures(state);
        }

        // JMH zeroes counters after the iteration's setup, so they are set when the iteration ends.
        @TearDown(Level.Iteration)
        public void end(BenchmarkRedis redis, MultiTier state) {
            requests = position.requests;
            redisCalls = redis.commandCalls() - callsBefore;
            l1Hits = state.engine.statistics().l1Hits() - l1HitsBefore;
            misses = state.engine.statistics().misses() - missesBefore;
            redisFailures = failures(state) - failuresBefore;
        }

        int next() {
            return position.next();
        }

        private static long failures(MultiTier state) {
            RedisTier.Stats stats = state.context.getBean(RedisTier.class).stats();
            return stats.failures() + stats.rejected();
        }
    }

    /**
     * The baseline's position in the sequence and its secondary results, counts per iteration
     * that JMH sums over the measurement iterations: {@code requests} and {@code redisCalls}.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class SpringRequests {

        public long requests;
        public long redisCalls;

        private final Position position = new Position();
        private long callsBefore;

        @Setup(Level.Iteration)
        public void begin(BenchmarkRedis redis) {
            position.requests = 0;
            callsBefore = redis.commandCalls();
        }

        @TearDown(Level.Iteration)
        public void end(BenchmarkRedis redis) {
            requests = position.requests;
            redisCalls = redis.commandCalls() - callsBefore;
        }

        int next() {
            return position.next();
        }
    }

    /** A thread's position in the sequence, starting after the part that warmed L1. */
    static final class Position {

        private int next = WARM_REQUESTS;
        long requests;

        int next() {
            requests++;
            return next++ & (SEQUENCE - 1);
        }
    }

    /** Writes every key of the workload straight to Redis, pipelined. */
    static void populate(ConfigurableApplicationContext context, Workload workload, @Nullable SetArgs args,
            LongFunction<byte[]> key, LongFunction<byte[]> value) {
        RedisClient client = (RedisClient) context.getBean(LettuceConnectionFactory.class).getRequiredNativeClient();
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            connection.setAutoFlushCommands(false);
            RedisAsyncCommands<byte[], byte[]> commands = connection.async();
            List<RedisFuture<String>> batch = new ArrayList<>(PIPELINE_BATCH);
            for (int i = 0; i < KEY_SPACE; i++) {
                long id = workload.keys[i];
                batch.add((args != null) ? commands.set(key.apply(id), value.apply(id), args)
                        : commands.set(key.apply(id), value.apply(id)));
                if (batch.size() == PIPELINE_BATCH || i == KEY_SPACE - 1) {
                    connection.flushCommands();
                    if (!LettuceFutures.awaitAll(Duration.ofSeconds(30), batch.toArray(new RedisFuture<?>[0]))) {
                        throw new IllegalStateException("Redis did not take the keys in time");
                    }
                    batch.clear();
                }
            }
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
