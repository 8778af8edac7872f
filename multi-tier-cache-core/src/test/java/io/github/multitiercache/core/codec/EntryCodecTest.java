package io.github.multitiercache.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.Deflater;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.data.redis.serializer.SerializationException;

class EntryCodecTest {

    private static final int HEADER = EntryCodec.HEADER_BYTES;

    private final JsonValueSerializer json = JsonValueSerializer.jdkTypesOnly();

    /** Payload = the value itself, so tests control payload bytes exactly. */
    private static final RedisSerializer<Object> RAW = new RedisSerializer<>() {
        @Override
        public byte[] serialize(@Nullable Object value) {
            return (value == null) ? new byte[0] : (byte[]) value;
        }

        @Override
        public @Nullable Object deserialize(byte @Nullable [] bytes) {
            return bytes;
        }
    };

    @Test
    void roundTripsWithoutCompression() {
        EntryCodec codec = new EntryCodec(json, 0, 0);
        StoredEntry entry = new StoredEntry(new ArrayList<>(List.of(1L, "two")), 1_700_000_000_000L,
                1_700_000_060_000L, 250);

        byte[] bytes = codec.encode(entry);

        assertThat(bytes[2]).isZero();
        assertThat(Arrays.copyOfRange(bytes, HEADER, bytes.length)).isEqualTo(json.serialize(entry.value()));
        assertThat(codec.decode(bytes)).isEqualTo(entry);
    }

    @Test
    void roundTripsWithCompression() {
        EntryCodec codec = new EntryCodec(json, 64, 0);
        String big = "lorem ipsum dolor sit amet ".repeat(400);
        StoredEntry entry = new StoredEntry(Map.of("text", big, "n", 7L), 10, StoredEntry.NO_EXPIRY, 3);

        byte[] bytes = codec.encode(entry);

        assertThat(bytes[2] & EntryCodec.FLAG_COMPRESSED).isNotZero();
        assertThat(bytes.length).isLessThan(big.length() / 10);
        assertThat(codec.decode(bytes)).isEqualTo(entry);
    }

    @Test
    void pinsTheHeaderLayout() {
        byte[] bytes = new EntryCodec(RAW, 0, 0).encode(new StoredEntry(new byte[] {9, 8}, 0x0102030405060708L,
                -2L, 0x0A0B0C0D));

        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        assertThat(buffer.get()).isEqualTo((byte) 0xC1);
        assertThat(buffer.get()).isEqualTo((byte) 1);
        assertThat(buffer.get()).isEqualTo((byte) 0);
        assertThat(buffer.getLong()).isEqualTo(0x0102030405060708L);
        assertThat(buffer.getLong()).isEqualTo(-2L);
        assertThat(buffer.getInt()).isEqualTo(0x0A0B0C0D);
        assertThat(buffer.remaining()).isEqualTo(2);
        assertThat(bytes).endsWith(9, 8);
    }

    @Test
    void nullEntriesAreAHeaderOnly() {
        EntryCodec codec = new EntryCodec(json, 1, 0);
        StoredEntry entry = new StoredEntry(null, 5, 6, 7);

        byte[] bytes = codec.encode(entry);

        assertThat(bytes).hasSize(HEADER);
        assertThat(bytes[2]).isEqualTo((byte) EntryCodec.FLAG_NULL);
        StoredEntry decoded = codec.decode(bytes);
        assertThat(decoded.isNull()).isTrue();
        assertThat(decoded).isEqualTo(entry);
    }

    @Test
    void compressesOnlyAboveTheThreshold() {
        EntryCodec codec = new EntryCodec(RAW, 100, 0);
        byte[] atThreshold = new byte[100];
        byte[] aboveThreshold = new byte[101];

        assertThat(codec.encode(entry(atThreshold))).hasSize(HEADER + 100);
        byte[] compressed = codec.encode(entry(aboveThreshold));
        assertThat(compressed[2] & EntryCodec.FLAG_COMPRESSED).isNotZero();
        assertThat(compressed.length).isLessThan(HEADER + 101);
        assertThat((byte[]) codec.decode(compressed).value()).isEqualTo(aboveThreshold);
    }

    @Test
    void compressesOnlyWhenItShrinksThePayload() {
        byte[] random = new byte[4096];
        new Random(7).nextBytes(random);
        EntryCodec codec = new EntryCodec(RAW, 16, 0);

        byte[] bytes = codec.encode(entry(random));

        assertThat(bytes[2]).isZero();
        assertThat(bytes).hasSize(HEADER + random.length);
        assertThat((byte[]) codec.decode(bytes).value()).isEqualTo(random);
    }

    @Test
    void compressionDisabledByNonPositiveThreshold() {
        byte[] zeros = new byte[10_000];

        assertThat(new EntryCodec(RAW, 0, 0).encode(entry(zeros))).hasSize(HEADER + zeros.length);
        assertThat(new EntryCodec(RAW, -1, 0).encode(entry(zeros))).hasSize(HEADER + zeros.length);
    }

    @Test
    void enforcesTheMaximumSize() {
        EntryCodec codec = new EntryCodec(RAW, 0, HEADER + 100);

        assertThat(codec.encode(entry(new byte[100]))).hasSize(HEADER + 100);
        assertThat(codec.encode(new StoredEntry(null, 0, 0, 0))).hasSize(HEADER);
        assertThatThrownBy(() -> codec.encode(entry(new byte[101])))
                .isInstanceOf(EntryTooLargeException.class)
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining(String.valueOf(HEADER + 101))
                .hasMessageContaining(String.valueOf(HEADER + 100))
                .satisfies(ex -> {
                    EntryTooLargeException tooLarge = (EntryTooLargeException) ex;
                    assertThat(tooLarge.sizeBytes()).isEqualTo(HEADER + 101);
                    assertThat(tooLarge.limitBytes()).isEqualTo(HEADER + 100);
                });
    }

    @Test
    void maximumSizeAppliesBeforeCompressionBecauseDecodingRefusesToInflateBeyondIt() {
        EntryCodec codec = new EntryCodec(RAW, 10, 1_000);

        assertThatThrownBy(() -> codec.encode(entry(new byte[5_000]))).isInstanceOf(EntryTooLargeException.class);
        byte[] fits = codec.encode(entry(new byte[900]));
        assertThat(fits[2] & EntryCodec.FLAG_COMPRESSED).isNotZero();
        assertThat((byte[]) codec.decode(fits).value()).hasSize(900);
    }

    @Test
    void rejectsAMaximumSmallerThanTheHeader() {
        assertThatIllegalArgumentException().isThrownBy(() -> new EntryCodec(RAW, 0, HEADER - 1));
    }

    @Test
    void rejectsEmptyTruncatedAndForeignBytes() throws IOException {
        EntryCodec codec = new EntryCodec(json, 0, 0);
        byte[] valid = codec.encode(new StoredEntry("v", 1, 2, 3));

        assertCorrupt(codec, new byte[0], "empty");
        assertCorrupt(codec, new byte[] {(byte) 0xC1}, "truncated");
        assertCorrupt(codec, Arrays.copyOf(valid, HEADER - 1), "truncated");
        assertCorrupt(codec, "\"v\"".getBytes(StandardCharsets.UTF_8), "look like JSON");
        assertCorrupt(codec, jdkSerialized(new HashMap<>(Map.of("a", 1))), "look like Java serialization");
        byte[] wrongMagic = valid.clone();
        wrongMagic[0] = 0x42;
        assertCorrupt(codec, wrongMagic, "0x42");
    }

    @Test
    void rejectsUnknownVersionsFlagsAndFields() {
        EntryCodec codec = new EntryCodec(json, 0, 0);
        byte[] valid = codec.encode(new StoredEntry("v", 1, 2, 3));

        assertCorrupt(codec, with(valid, 1, 0), "unknown format version 0");
        assertCorrupt(codec, with(valid, 2, 0x08), "unknown flag bits 0x08");
        assertCorrupt(codec, with(valid, 2, EntryCodec.FLAG_TAGS), "tag section is truncated");
        assertCorrupt(codec, with(valid, 2, EntryCodec.FLAG_NULL), "payload bytes");
        assertCorrupt(codec, with(Arrays.copyOf(valid, HEADER), 2, 0x03), "compressed flag");
        assertCorrupt(codec, with(valid, 19, 0xFF), "negative loadMillis");
    }

    @Test
    void newerFormatVersionIsDistinguishableFromCorruption() {
        EntryCodec codec = new EntryCodec(json, 0, 0);
        byte[] fromTheFuture = with(codec.encode(new StoredEntry("v", 1, 2, 3)), 1, 2);

        assertThatThrownBy(() -> codec.decode(fromTheFuture))
                .isInstanceOf(NewerFormatVersionException.class)
                .isInstanceOf(CorruptEntryException.class)
                .hasMessageContaining("newer release")
                .satisfies(ex -> {
                    assertThat(((NewerFormatVersionException) ex).formatVersion()).isEqualTo(2);
                    assertThat(((NewerFormatVersionException) ex).supportedVersion()).isEqualTo(1);
                });
        // Even a header-only stub of a future format is reported as such, not as truncated.
        assertThatThrownBy(() -> codec.decode(new byte[] {(byte) 0xC1, (byte) 0xFF}))
                .isInstanceOf(NewerFormatVersionException.class);
    }

    @Test
    void rejectsBrokenCompressedPayloads() {
        EntryCodec codec = new EntryCodec(RAW, 1, 0);
        byte[] valid = codec.encode(entry(new byte[1_000]));
        int end = valid.length;

        assertCorrupt(codec, Arrays.copyOf(valid, HEADER + 2), "too few for the length prefix");
        assertCorrupt(codec, Arrays.copyOf(valid, end - 3), "truncated");
        assertCorrupt(codec, withInt(valid, HEADER, 1_001), "inflates to 1000 bytes, but declares 1001");
        assertCorrupt(codec, withInt(valid, HEADER, 999), "inflates to more than the 999 bytes");
        assertCorrupt(codec, withInt(valid, HEADER, -1), "refusing to inflate");
        assertCorrupt(codec, with(valid, HEADER + 4, 0x00), "does not inflate");
        assertCorrupt(codec, Arrays.copyOf(valid, end + 2), "trailing bytes");
    }

    @Test
    void neverInflatesBeyondTheLimit() {
        byte[] zeros = new byte[EntryCodec.UNLIMITED_INFLATE_LIMIT_BYTES / 8 + 1];
        byte[] honest = compressedEnvelope(zeros, zeros.length);
        EntryCodec limited = new EntryCodec(RAW, 1, 4_096);

        assertCorrupt(limited, honest, "refusing to inflate");
        assertCorrupt(new EntryCodec(RAW, 1, 0), compressedEnvelope(zeros, Integer.MAX_VALUE), "refusing to inflate");
        // A bomb that lies about its size is stopped at the declared size.
        assertCorrupt(new EntryCodec(RAW, 1, 0), compressedEnvelope(zeros, 1_024), "inflates to more than");
        assertThat((byte[]) new EntryCodec(RAW, 1, 0).decode(honest).value()).hasSize(zeros.length);
    }

    @Test
    void payloadFailuresAreCorruptEntries() {
        EntryCodec codec = new EntryCodec(RAW, 0, 0);
        byte[] garbageJson = codec.encode(entry("{not json".getBytes(StandardCharsets.UTF_8)));
        byte[] forbidden = codec.encode(entry("[\"java.net.URL\",\"http://x/\"]".getBytes(StandardCharsets.UTF_8)));
        byte[] jsonNull = codec.encode(entry("null".getBytes(StandardCharsets.UTF_8)));
        EntryCodec jsonCodec = new EntryCodec(json, 0, 0);

        assertThatThrownBy(() -> jsonCodec.decode(garbageJson)).isExactlyInstanceOf(CorruptEntryException.class)
                .hasCauseInstanceOf(SerializationException.class).hasMessageContaining("could not be deserialized");
        assertThatThrownBy(() -> jsonCodec.decode(forbidden)).isExactlyInstanceOf(CorruptEntryException.class)
                .hasMessageContaining("'java.net.URL'");
        assertCorrupt(jsonCodec, jsonNull, "not flagged as a null value");
    }

    @Test
    void valueSerializerFailuresOnEncodeAreSerializationExceptions() {
        RedisSerializer<Object> failing = new RedisSerializer<>() {
            @Override
            public byte[] serialize(@Nullable Object value) {
                throw new IllegalStateException("boom");
            }

            @Override
            public @Nullable Object deserialize(byte @Nullable [] bytes) {
                return null;
            }
        };

        assertThatThrownBy(() -> new EntryCodec(failing, 0, 0).encode(new StoredEntry("v", 0, 0, 0)))
                .isExactlyInstanceOf(SerializationException.class).hasMessageContaining("boom");
        assertThatThrownBy(() -> new EntryCodec(json, 0, 0).encode(new StoredEntry(new Object(), 0, 0, 0)))
                .isExactlyInstanceOf(SerializationException.class);
    }

    @Test
    void randomGarbageAndMutatedEntriesNeverEscapeAsOtherExceptions() {
        EntryCodec codec = new EntryCodec(json, 8, 0);
        byte[] valid = codec.encode(new StoredEntry(List.of("abcdefgh".repeat(20), 42L), 1, 2, 3));
        Random random = new Random(1234);

        for (int length = 0; length < valid.length; length++) {
            assertCorrupt(codec, Arrays.copyOf(valid, length), "");
        }
        for (int i = 0; i < 5_000; i++) {
            byte[] bytes = (i % 2 == 0) ? valid.clone() : new byte[random.nextInt(64)];
            if (i % 2 == 0) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            } else {
                random.nextBytes(bytes);
                if (bytes.length > 1 && random.nextBoolean()) {
                    bytes[0] = EntryCodec.MAGIC;
                    bytes[1] = 1;
                }
            }
            try {
                codec.decode(bytes);
            } catch (CorruptEntryException expected) {
                // the only acceptable failure; header timing fields can change undetected
            }
        }
    }

    @Test
    void isSafeForConcurrentUse() throws Exception {
        EntryCodec codec = new EntryCodec(json, 32, 0);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        StoredEntry entry = new StoredEntry(("value-" + id + "-" + i + " ").repeat(i % 40), i, i + 1, id);
                        assertThat(codec.decode(codec.encode(entry))).isEqualTo(entry);
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static StoredEntry entry(byte[] payload) {
        return new StoredEntry(payload, 1, 2, 3);
    }

    private static void assertCorrupt(EntryCodec codec, byte[] bytes, String messagePart) {
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(CorruptEntryException.class)
                .hasMessageContaining(messagePart);
    }

    private static byte[] with(byte[] bytes, int index, int value) {
        byte[] copy = bytes.clone();
        copy[index] = (byte) value;
        return copy;
    }

    private static byte[] withInt(byte[] bytes, int index, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).putInt(index, value);
        return copy;
    }

    /** Builds a compressed envelope by hand, declaring any uncompressed length. */
    private static byte[] compressedEnvelope(byte[] content, int declaredLength) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(content);
        deflater.finish();
        ByteArrayOutputStream zlib = new ByteArrayOutputStream();
        byte[] chunk = new byte[8_192];
        while (!deflater.finished()) {
            zlib.write(chunk, 0, deflater.deflate(chunk));
        }
        deflater.end();
        ByteBuffer buffer = ByteBuffer.allocate(HEADER + 4 + zlib.size());
        buffer.put(EntryCodec.MAGIC).put((byte) 1).put((byte) EntryCodec.FLAG_COMPRESSED)
                .putLong(1).putLong(2).putInt(3).putInt(declaredLength).put(zlib.toByteArray());
        return buffer.array();
    }

    private static byte[] jdkSerialized(Object value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectOutputStream objects = new ObjectOutputStream(out)) {
            objects.writeObject(value);
        }
        return out.toByteArray();
    }
}
