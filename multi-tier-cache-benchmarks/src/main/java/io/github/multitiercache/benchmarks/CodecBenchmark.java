package io.github.multitiercache.benchmarks;

import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.core.codec.StoredEntry;
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
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.data.redis.serializer.JdkSerializationRedisSerializer;

/**
 * Encoding and decoding one value, three sizes ({@code small}: a {@link Product} record of three
 * fields; {@code medium}: an {@link Order} of 20 lines, about 2 KB; {@code large}: an
 * {@link Order} of 1,000 lines, about 100 KB), three codecs:
 *
 * <ul>
 * <li>{@code json}: the default codec, {@link EntryCodec} envelope over {@link JsonValueSerializer},
 * compression off (threshold 0);
 * <li>{@code json-deflate-1k}: the same, compressing payloads above 1 KB;
 * <li>{@code jdk}: Spring's {@link JdkSerializationRedisSerializer}, what {@code RedisCacheManager}
 * uses by default (no envelope, no compression).
 * </ul>
 * The setup prints the encoded size in bytes ({@code # encoded size: ...}) into the run's output.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@State(Scope.Benchmark)
public class CodecBenchmark {

    @Param({ "small", "medium", "large" })
    public String size;

    @Param({ "json", "json-deflate-1k", "jdk" })
    public String codec;

    Object value;
    Codec impl;
    byte[] encoded;

    @Setup(Level.Trial)
    public void setUp() {
        value = switch (size) {
            case "small" -> Product.of(123_456);
            case "medium" -> Order.withLines(42, 20);
            case "large" -> Order.withLines(42, 1_000);
            default -> throw new IllegalArgumentException(size);
        };
        impl = switch (codec) {
            case "json" -> new Envelope(0);
            case "json-deflate-1k" -> new Envelope(1024);
            case "jdk" -> new Jdk();
            default -> throw new IllegalArgumentException(codec);
        };
        encoded = impl.encode(value);
        if (!value.equals(impl.decode(encoded))) {
            throw new IllegalStateException(codec + " does not round-trip " + size);
        }
        System.out.printf("%n# encoded size: codec=%s size=%s bytes=%d%n", codec, size, encoded.length);
    }

    @Benchmark
    public byte[] encode() {
        return impl.encode(value);
    }

    @Benchmark
    public @Nullable Object decode() {
        return impl.decode(encoded);
    }

    interface Codec {

        byte[] encode(Object value);

        // Null when the stored value is null, which the benchmark values never are.
        @Nullable Object decode(byte[] bytes);
    }

    /** The cache's codec as {@code TieredCache} drives it: a fresh {@link StoredEntry} per write. */
    static final class Envelope implements Codec {

        private final EntryCodec codec;

        Envelope(int compressionThreshold) {
            codec = new EntryCodec(JsonValueSerializer.forPackages("io.github.multitiercache.benchmarks."),
                    compressionThreshold, CacheSettings.defaults().maxValueSize());
        }

        @Override
        public byte[] encode(Object value) {
            long now = System.currentTimeMillis();
            return codec.encode(new StoredEntry(value, now, now + 600_000, 0));
        }

        @Override
        public @Nullable Object decode(byte[] bytes) {
            return codec.decode(bytes).value();
        }
    }

    /** Spring Data Redis's default value serializer. */
    static final class Jdk implements Codec {

        private final JdkSerializationRedisSerializer serializer = new JdkSerializationRedisSerializer();

        @Override
        public byte[] encode(Object value) {
            return serializer.serialize(value);
        }

        @Override
        public @Nullable Object decode(byte[] bytes) {
            return serializer.deserialize(bytes);
        }
    }
}
