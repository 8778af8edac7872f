package io.github.multitiercache.benchmarks;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.hotkey.HotKeyDetector;
import io.github.multitiercache.core.hotkey.HotKeySettings;
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
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What finding hot keys costs a read.
 *
 * <ul>
 * <li>{@code detectorRecord}: one {@code HotKeyDetector.record(key)} with the default settings, over
 * a Zipf sequence of one million keys (a few of them hot: the usual case) and round-robin over
 * {@value Keys#COUNT} keys read millions of times a second (every key over the threshold: the
 * detector's worst case, its candidate set churning);
 * <li>{@code sequenceAndHashOnly}: the part of {@code detectorRecord} that is not the detector
 * (reading the next key of the sequence and its hash code), to subtract (diagnostic);
 * <li>{@code l1HitHotKeysOn} / {@code l1HitHotKeysOff}: an L1 hit through the cache API
 * ({@code MultiTierCache.get}) with hot keys on (the default) and off, round-robin over
 * {@value Keys#COUNT} keys, so every key is hot;
 * <li>{@code caffeineGetIfPresent}: raw Caffeine, the baseline of the L1 hit.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class HotKeyBenchmark {

    @Benchmark
    public boolean detectorRecord(Detector state) {
        return state.detector.record(state.next());
    }

    /** Diagnostic: what {@code detectorRecord} pays for walking its sequence and hashing the key. */
    @Benchmark
    public int sequenceAndHashOnly(Detector state) {
        return state.next().hashCode();
    }

    @Benchmark
    public @Nullable ValueWrapper l1HitHotKeysOn(HotKeysOn state, Keys keys) {
        return state.cache.get(keys.next());
    }

    @Benchmark
    public @Nullable ValueWrapper l1HitHotKeysOff(HotKeysOff state, Keys keys) {
        return state.cache.get(keys.next());
    }

    @Benchmark
    public @Nullable Object caffeineGetIfPresent(L1HitBenchmark.RawCaffeine state, Keys keys) {
        return state.cache.getIfPresent(keys.next());
    }

    /** A detector with the default settings and a sequence of keys to record. */
    @State(Scope.Thread)
    public static class Detector {

        private static final int ZIPF_KEYS = 1_000_000;
        private static final int SEQUENCE = 1 << 20;

        @Param({ "zipf-1M", "round-robin-1024" })
        public String keys;

        HotKeyDetector detector;
        private Long[] sequence;
        private int index;

        @Setup(Level.Trial)
        public void setUp() {
            detector = new HotKeyDetector(HotKeySettings.defaults(), System::nanoTime);
            if (keys.equals("zipf-1M")) {
                int[] indexes = ZipfSequence.generate(ZIPF_KEYS, SEQUENCE, 20_261_122L);
                sequence = new Long[SEQUENCE];
                Long[] boxed = new Long[ZIPF_KEYS];
                for (int i = 0; i < SEQUENCE; i++) {
                    int key = indexes[i];
                    if (boxed[key] == null) {
                        boxed[key] = Long.valueOf(1_000_000L + key);
                    }
                    sequence[i] = boxed[key];
                }
            }
            else {
                sequence = Keys.all();
            }
        }

        Long next() {
            return sequence[index++ & (sequence.length - 1)];
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Checks.check(detector.counterCount() == 2 * 4 * HotKeySettings.defaults().sketchWidth(),
                    "the detector's memory is fixed");
        }
    }

    /** The auto-configured cache, hot keys on (the default), every key in L1. */
    @State(Scope.Benchmark)
    public static class HotKeysOn {

        ConfigurableApplicationContext context;
        MultiTierCache cache;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server());
            cache = MetersBenchmark.filled(context);
            Checks.check(cache.getNativeCache().insight().hotKeyStatistics() != null, "hot keys are on");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            // Hot keys are on: setUp checked it.
            long promotions = Objects.requireNonNull(cache.getNativeCache().insight().hotKeyStatistics()).promotions();
            context.close();
            Checks.check(promotions > 0, "keys were found hot during the run");
        }
    }

    /** The same cache with {@code hot-keys.enabled=false}. */
    @State(Scope.Benchmark)
    public static class HotKeysOff {

        ConfigurableApplicationContext context;
        MultiTierCache cache;

        @Setup(Level.Trial)
        public void setUp(BenchmarkRedis redis) {
            context = CacheContexts.multiTier(redis.server(), "multi-tier-cache.defaults.hot-keys.enabled=false");
            cache = MetersBenchmark.filled(context);
            Checks.check(cache.getNativeCache().insight().hotKeyStatistics() == null, "hot keys are off");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            context.close();
        }
    }
}
