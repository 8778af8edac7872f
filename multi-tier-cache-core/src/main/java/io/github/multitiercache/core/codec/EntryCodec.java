package io.github.multitiercache.core.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.data.redis.serializer.SerializationException;

/**
 * Encodes a {@link StoredEntry} to the bytes stored in Redis and back.
 *
 * <p>Layout (big-endian), {@value #HEADER_BYTES}-byte header then payload:
 * <pre>
 * offset size field
 *      0    1 magic            0xC1 (never the first byte of UTF-8 text or Java serialization)
 *      1    1 format version   {@value #FORMAT_VERSION}
 *      2    1 flags            bit0 = null value, bit1 = payload compressed, bit2 = tags;
 *                              others must be 0
 *      3    8 writtenAt        epoch millis
 *     11    8 expiresAt        epoch millis ({@link StoredEntry#NO_EXPIRY} = never)
 *     19    4 loadMillis
 *     23    - tag section      only with bit2: as-of (8 bytes, epoch micros), tag count (2 bytes,
 *                              unsigned, at least 1), then per tag its UTF-8 length (2 bytes,
 *                              unsigned, at least 1) and bytes
 *      -    - payload          absent for a null value; otherwise the value serializer's bytes,
 *                              or, when compressed: uncompressed length (4 bytes) + zlib stream
 * </pre>
 *
 * <p>An untagged entry has exactly the bytes it had before tags existed; a tagged one sets bit 2,
 * which a release without tags refuses as an unknown flag (a logged miss there), so it can never
 * serve a tagged entry without checking its tags.
 *
 * <p>Contract:
 * <ul>
 *   <li>A payload is compressed (Deflate, fastest level) only when it is longer than the
 *       compression threshold and the result is strictly smaller; a threshold {@code <= 0}
 *       disables compression.
 *   <li>With a maximum size {@code > 0}, an entry whose header plus uncompressed payload exceeds
 *       it fails with {@link EntryTooLargeException}. The limit is checked before compression
 *       because the decoder refuses to inflate beyond it (so compression saves Redis memory but
 *       never admits an entry the decoder would refuse). With no maximum, inflation is capped at
 *       {@value #UNLIMITED_INFLATE_LIMIT_BYTES} bytes and larger payloads are stored uncompressed.
 *   <li>Anything {@link #decode(byte[])} cannot read throws {@link CorruptEntryException} with a
 *       precise message; an envelope from a newer release throws its subclass
 *       {@link NewerFormatVersionException}. Failures of the value serializer surface as
 *       {@link SerializationException}s on encode and as {@code CorruptEntryException} on decode.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; Deflater/Inflater instances (native memory) are
 * pooled across threads rather than kept per thread, which suits virtual threads.
 */
public final class EntryCodec {

    /** First byte of every entry. */
    public static final byte MAGIC = (byte) 0xC1;

    /** The envelope format version this release writes, and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    /** Size of the fixed header that precedes the payload. */
    public static final int HEADER_BYTES = 23;

    /** Cap on the inflated payload size when no maximum entry size is configured (64 MiB). */
    public static final int UNLIMITED_INFLATE_LIMIT_BYTES = 64 * 1024 * 1024;

    static final int FLAG_NULL = 0x01;
    static final int FLAG_COMPRESSED = 0x02;
    static final int FLAG_TAGS = 0x04;
    private static final int KNOWN_FLAGS = FLAG_NULL | FLAG_COMPRESSED | FLAG_TAGS;

    private static final int OFFSET_FLAGS = 2;
    private static final int OFFSET_WRITTEN_AT = 3;
    private static final int OFFSET_EXPIRES_AT = 11;
    private static final int OFFSET_LOAD_MILLIS = 19;
    private static final int LENGTH_PREFIX_BYTES = 4;

    private static final VarHandle LONG_BE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT_BE =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private static final int POOL_SIZE = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static final ArrayBlockingQueue<Deflater> DEFLATERS = new ArrayBlockingQueue<>(POOL_SIZE);
    private static final ArrayBlockingQueue<Inflater> INFLATERS = new ArrayBlockingQueue<>(POOL_SIZE);

    private final RedisSerializer<Object> valueSerializer;
    private final int compressionThresholdBytes;
    private final int maxEncodedBytes;
    /** Largest uncompressed payload the decoder inflates, and so the encoder compresses. */
    private final int inflateLimitBytes;

    /**
     * Creates a codec.
     *
     * @param valueSerializer turns non-null values into payload bytes and back
     * @param compressionThresholdBytes payloads longer than this are compressed when that makes
     *     them smaller; {@code <= 0} disables compression
     * @param maxEncodedBytes maximum size of an entry (header plus uncompressed payload);
     *     {@code <= 0} means unlimited
     * @throws IllegalArgumentException if {@code maxEncodedBytes} is positive but smaller than
     *     {@link #HEADER_BYTES}, which would reject every entry
     */
    public EntryCodec(RedisSerializer<Object> valueSerializer, int compressionThresholdBytes,
            int maxEncodedBytes) {
        if (maxEncodedBytes > 0 && maxEncodedBytes < HEADER_BYTES) {
            throw new IllegalArgumentException("maxEncodedBytes must be <= 0 (unlimited) or at least "
                    + HEADER_BYTES + ", was " + maxEncodedBytes);
        }
        this.valueSerializer = Objects.requireNonNull(valueSerializer, "valueSerializer");
        this.compressionThresholdBytes = compressionThresholdBytes;
        this.maxEncodedBytes = maxEncodedBytes;
        this.inflateLimitBytes = (maxEncodedBytes > 0)
                ? maxEncodedBytes - HEADER_BYTES : UNLIMITED_INFLATE_LIMIT_BYTES;
    }

    /** Returns the serializer used for payloads. */
    public RedisSerializer<Object> valueSerializer() {
        return valueSerializer;
    }

    /** Returns the compression threshold in bytes; {@code <= 0} means compression is off. */
    public int compressionThresholdBytes() {
        return compressionThresholdBytes;
    }

    /** Returns the maximum entry size in bytes; {@code <= 0} means unlimited. */
    public int maxEncodedBytes() {
        return maxEncodedBytes;
    }

    /**
     * Encodes an entry.
     *
     * @throws EntryTooLargeException if the entry exceeds the maximum size
     * @throws SerializationException if the value serializer fails
     */
    public byte[] encode(StoredEntry entry) {
        Object value = entry.value();
        EntryTags tags = entry.tags();
        byte[] section = (tags != null) ? tagSection(tags) : EMPTY;
        int tagFlag = (tags != null) ? FLAG_TAGS : 0;
        int start = HEADER_BYTES + section.length;
        if (value == null) {
            checkSize(start);
            byte[] out = new byte[start];
            writeHeader(out, FLAG_NULL | tagFlag, entry);
            System.arraycopy(section, 0, out, HEADER_BYTES, section.length);
            return out;
        }
        byte[] payload = serializeValue(value);
        checkSize((long) start + payload.length);
        // Sized for the uncompressed form: if compression does not pay off, nothing is wasted.
        byte[] out = new byte[start + payload.length];
        System.arraycopy(section, 0, out, HEADER_BYTES, section.length);
        if (compressionThresholdBytes > 0 && payload.length > compressionThresholdBytes
                && payload.length <= inflateLimitBytes) {
            int end = deflate(payload, out, start + LENGTH_PREFIX_BYTES, out.length - 1);
            if (end > 0) {
                writeHeader(out, FLAG_COMPRESSED | tagFlag, entry);
                INT_BE.set(out, start, payload.length);
                return Arrays.copyOf(out, end);
            }
        }
        writeHeader(out, tagFlag, entry);
        System.arraycopy(payload, 0, out, start, payload.length);
        return out;
    }

    private static final byte[] EMPTY = new byte[0];

    private static byte[] tagSection(EntryTags tags) {
        byte[][] encoded = new byte[tags.size()][];
        int length = 8 + 2;
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = tags.tag(i).getBytes(StandardCharsets.UTF_8);
            length += 2 + encoded[i].length;
        }
        byte[] section = new byte[length];
        LONG_BE.set(section, 0, tags.asOfMicros());
        SHORT_BE.set(section, 8, (short) encoded.length);
        int pos = 10;
        for (byte[] tag : encoded) {
            SHORT_BE.set(section, pos, (short) tag.length);
            System.arraycopy(tag, 0, section, pos + 2, tag.length);
            pos += 2 + tag.length;
        }
        return section;
    }

    /** Reads the tag section at {@link #HEADER_BYTES}; {@code end[0]} receives the offset after it. */
    private static EntryTags readTags(byte[] bytes, int[] end) {
        int pos = HEADER_BYTES;
        if (bytes.length < pos + 10) {
            throw new CorruptEntryException("Cache entry's tag section is truncated");
        }
        long asOf = (long) LONG_BE.get(bytes, pos);
        int count = ((short) SHORT_BE.get(bytes, pos + 8)) & 0xFFFF;
        if (count == 0 || count > EntryTags.MAX_TAGS) {
            throw new CorruptEntryException("Cache entry declares " + count + " tags, outside 1.."
                    + EntryTags.MAX_TAGS);
        }
        pos += 10;
        List<String> tags = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (bytes.length < pos + 2) {
                throw new CorruptEntryException("Cache entry's tag section is truncated at tag " + i);
            }
            int length = ((short) SHORT_BE.get(bytes, pos)) & 0xFFFF;
            if (length == 0 || length > EntryTags.MAX_TAG_BYTES || bytes.length < pos + 2 + length) {
                throw new CorruptEntryException("Cache entry's tag " + i + " has a bad length " + length);
            }
            tags.add(new String(bytes, pos + 2, length, StandardCharsets.UTF_8));
            pos += 2 + length;
        }
        end[0] = pos;
        try {
            EntryTags read = EntryTags.of(tags, asOf);
            if (read == null || read.size() != count) {
                throw new CorruptEntryException("Cache entry carries a tag twice");
            }
            return read;
        }
        catch (IllegalArgumentException ex) {
            throw new CorruptEntryException("Cache entry carries a bad tag: " + ex.getMessage());
        }
    }

    /**
     * Decodes bytes produced by {@link #encode(StoredEntry)}.
     *
     * @throws NewerFormatVersionException if the entry was written in a newer envelope format
     * @throws CorruptEntryException if the bytes are not a readable entry
     */
    public StoredEntry decode(byte[] bytes) {
        if (bytes.length == 0) {
            throw new CorruptEntryException("Cache entry is empty");
        }
        if (bytes[0] != MAGIC) {
            throw new CorruptEntryException(String.format(
                    "Not a multi-tier-cache entry: first byte is 0x%02X, expected magic 0x%02X%s",
                    bytes[0] & 0xFF, MAGIC & 0xFF, foreignFormatHint(bytes)));
        }
        if (bytes.length < 2) {
            throw truncatedHeader(bytes.length);
        }
        int version = bytes[1] & 0xFF;
        if (version > FORMAT_VERSION) {
            throw new NewerFormatVersionException(version, FORMAT_VERSION);
        }
        if (version != FORMAT_VERSION) {
            throw new CorruptEntryException("Cache entry has unknown format version " + version);
        }
        if (bytes.length < HEADER_BYTES) {
            throw truncatedHeader(bytes.length);
        }
        int flags = bytes[OFFSET_FLAGS] & 0xFF;
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new CorruptEntryException(String.format(
                    "Cache entry has unknown flag bits 0x%02X", flags & ~KNOWN_FLAGS));
        }
        long writtenAt = (long) LONG_BE.get(bytes, OFFSET_WRITTEN_AT);
        long expiresAt = (long) LONG_BE.get(bytes, OFFSET_EXPIRES_AT);
        int loadMillis = (int) INT_BE.get(bytes, OFFSET_LOAD_MILLIS);
        if (loadMillis < 0) {
            throw new CorruptEntryException("Cache entry has negative loadMillis " + loadMillis);
        }
        boolean compressed = (flags & FLAG_COMPRESSED) != 0;
        EntryTags tags = null;
        int start = HEADER_BYTES;
        if ((flags & FLAG_TAGS) != 0) {
            int[] end = new int[1];
            tags = readTags(bytes, end);
            start = end[0];
        }
        if ((flags & FLAG_NULL) != 0) {
            if (compressed || bytes.length != start) {
                throw new CorruptEntryException("Cache entry is flagged as a null value but has "
                        + (compressed ? "the compressed flag" : (bytes.length - start)
                        + " payload bytes"));
            }
            return new StoredEntry(null, writtenAt, expiresAt, loadMillis, tags);
        }
        byte[] payload = compressed
                ? inflate(bytes, start)
                : Arrays.copyOfRange(bytes, start, bytes.length);
        return new StoredEntry(deserializeValue(payload), writtenAt, expiresAt, loadMillis, tags);
    }

    private void checkSize(long size) {
        if (maxEncodedBytes > 0 && size > maxEncodedBytes) {
            throw new EntryTooLargeException(size, maxEncodedBytes);
        }
    }

    private byte[] serializeValue(Object value) {
        byte[] payload;
        try {
            payload = valueSerializer.serialize(value);
        } catch (SerializationException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw new SerializationException("Value serializer failed for a value of type "
                    + value.getClass().getName() + ": " + ex.getMessage(), ex);
        }
        if (payload == null) {
            throw new SerializationException("Value serializer returned null for a non-null value "
                    + "of type " + value.getClass().getName());
        }
        return payload;
    }

    private Object deserializeValue(byte[] payload) {
        Object value;
        try {
            value = valueSerializer.deserialize(payload);
        } catch (RuntimeException ex) {
            throw new CorruptEntryException("Cache entry payload of " + payload.length
                    + " bytes could not be deserialized: " + ex.getMessage(), ex);
        }
        if (value == null) {
            throw new CorruptEntryException("Cache entry payload deserialized to null, but the entry "
                    + "is not flagged as a null value");
        }
        return value;
    }

    private static void writeHeader(byte[] out, int flags, StoredEntry entry) {
        out[0] = MAGIC;
        out[1] = (byte) FORMAT_VERSION;
        out[OFFSET_FLAGS] = (byte) flags;
        LONG_BE.set(out, OFFSET_WRITTEN_AT, entry.writtenAtEpochMillis());
        LONG_BE.set(out, OFFSET_EXPIRES_AT, entry.expiresAtEpochMillis());
        INT_BE.set(out, OFFSET_LOAD_MILLIS, entry.loadMillis());
    }

    /**
     * Deflates {@code input} into {@code out[from, limit)}; returns the end offset, or {@code -1}
     * if the compressed form does not fit, i.e. would not be smaller than the original.
     */
    private static int deflate(byte[] input, byte[] out, int from, int limit) {
        if (limit <= from) {
            return -1;
        }
        Deflater deflater = DEFLATERS.poll();
        if (deflater == null) {
            deflater = new Deflater(Deflater.BEST_SPEED);
        }
        try {
            deflater.setInput(input);
            deflater.finish();
            int pos = from;
            while (!deflater.finished() && pos < limit) {
                int n = deflater.deflate(out, pos, limit - pos);
                if (n == 0) {
                    return -1; // no progress despite room: give up rather than spin
                }
                pos += n;
            }
            return deflater.finished() ? pos : -1;
        } finally {
            deflater.reset();
            if (!DEFLATERS.offer(deflater)) {
                deflater.end();
            }
        }
    }

    private byte[] inflate(byte[] bytes, int offset) {
        if (bytes.length < offset + LENGTH_PREFIX_BYTES) {
            throw new CorruptEntryException("Compressed cache entry is truncated: "
                    + (bytes.length - offset) + " payload bytes, too few for the length prefix");
        }
        int declared = (int) INT_BE.get(bytes, offset);
        if (declared < 0 || declared > inflateLimitBytes) {
            // Checked before allocating: a forged length must not become a huge allocation.
            throw new CorruptEntryException("Compressed cache entry declares " + declared
                    + " uncompressed bytes, outside the limit of " + inflateLimitBytes
                    + " bytes; refusing to inflate");
        }
        Inflater inflater = INFLATERS.poll();
        if (inflater == null) {
            inflater = new Inflater();
        }
        try {
            inflater.setInput(bytes, offset + LENGTH_PREFIX_BYTES,
                    bytes.length - offset - LENGTH_PREFIX_BYTES);
            byte[] out = new byte[declared];
            int pos = 0;
            while (pos < declared) {
                int n = inflater.inflate(out, pos, declared - pos);
                if (n == 0 && (inflater.finished() || inflater.needsInput()
                        || inflater.needsDictionary())) {
                    throw new CorruptEntryException("Compressed cache entry inflates to " + pos
                            + " bytes, but declares " + declared
                            + (inflater.finished() ? "" : "; the compressed data is truncated"));
                }
                pos += n;
            }
            // The output is full; the stream must end here (its checksum may still be pending).
            if (!inflater.finished() && inflater.inflate(new byte[1]) > 0) {
                throw new CorruptEntryException("Compressed cache entry inflates to more than the "
                        + declared + " bytes it declares");
            }
            if (!inflater.finished()) {
                throw new CorruptEntryException("Compressed cache entry is truncated: the "
                        + "compressed data ends before its end-of-stream marker");
            }
            if (inflater.getRemaining() > 0) {
                throw new CorruptEntryException("Compressed cache entry has "
                        + inflater.getRemaining() + " trailing bytes after the compressed data");
            }
            return out;
        } catch (DataFormatException ex) {
            throw new CorruptEntryException("Compressed cache entry does not inflate: "
                    + ex.getMessage(), ex);
        } finally {
            inflater.reset();
            if (!INFLATERS.offer(inflater)) {
                inflater.end();
            }
        }
    }

    private static CorruptEntryException truncatedHeader(int length) {
        return new CorruptEntryException("Cache entry header is truncated: " + length
                + " bytes, expected at least " + HEADER_BYTES);
    }

    /** Names the likely source of foreign bytes, e.g. left over from another cache serializer. */
    private static String foreignFormatHint(byte[] bytes) {
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xAC && (bytes[1] & 0xFF) == 0xED) {
            return " (the bytes look like Java serialization)";
        }
        int first = bytes[0] & 0xFF;
        if (first == '{' || first == '[' || first == '"') {
            return " (the bytes look like JSON text)";
        }
        return "";
    }
}
