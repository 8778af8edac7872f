package io.github.multitiercache.core.invalidation;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * One message on the invalidation channel, as JSON with short field names so that it stays small
 * and readable with {@code redis-cli SUBSCRIBE}:
 * <pre>
 * {"v":1,"s":"3f1c…","q":42,"t":1767225600000123,"y":"i","o":[{"c":"products","k":["1","2"]},{"c":"users","a":true}]}
 * </pre>
 *
 * @param version the format version, {@value #VERSION} for this release
 * @param sender the id of the sending instance, random per start
 * @param sequence the sender's message number, incremented by one per message, so receivers see
 *        gaps
 * @param sentAtMicros when the message was sent, epoch microseconds of the sender's clock
 * @param type {@code "i"} invalidation, {@code "h"} heartbeat, {@code "b"} the sender is stopping,
 *        {@code "k"} the sender's hot keys, {@code "g"} tag evictions
 * @param senderNanos the sender's monotonic clock at sending (heartbeats only; meaningful to the
 *        sender alone, which measures its own round trip with it)
 * @param operations what to invalidate (invalidations), or the hot keys of each cache (hot keys)
 * @param tags in a tag eviction ({@code "g"}): tag → eviction time, epoch microseconds of the
 *        evicting instance's clock; a release without tags ignores such a message (it only checks
 *        its number)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InvalidationMessage(
        @JsonProperty("v") int version,
        @JsonProperty("s") String sender,
        @JsonProperty("q") long sequence,
        @JsonProperty("t") long sentAtMicros,
        @JsonProperty("y") String type,
        @JsonProperty("n") @Nullable Long senderNanos,
        @JsonProperty("o") @Nullable List<Operation> operations,
        @JsonProperty("g") @Nullable Map<String, Long> tags) {

    /** The format version written by this release. */
    public static final int VERSION = 1;

    static final String INVALIDATE = "i";
    static final String HEARTBEAT = "h";
    static final String BYE = "b";
    static final String HOT_KEYS = "k";
    static final String TAGS = "g";

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Checks the required fields. */
    public InvalidationMessage {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(type, "type");
    }

    /**
     * A message without tags: see the canonical constructor.
     */
    public InvalidationMessage(int version, String sender, long sequence, long sentAtMicros, String type,
            @Nullable Long senderNanos, @Nullable List<Operation> operations) {
        this(version, sender, sequence, sentAtMicros, type, senderNanos, operations, null);
    }

    /**
     * Keys of one cache to drop, or the whole cache; in a hot-keys message, the keys of one cache
     * hot in the sender.
     * @param cache the cache name
     * @param keys the keys' text forms, as in the Redis key; absent when {@code all}
     * @param all whether the whole cache is to be dropped
     * @param leaseMillis in a hot-keys message: how long the receivers hold the keys hot
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Operation(
            @JsonProperty("c") String cache,
            @JsonProperty("k") @Nullable List<String> keys,
            @JsonProperty("a") @Nullable Boolean all,
            @JsonProperty("l") @Nullable Long leaseMillis) {

        /**
         * An invalidation.
         * @param cache the cache name
         * @param keys the keys' text forms; absent when {@code all}
         * @param all whether the whole cache is to be dropped
         */
        public Operation(String cache, @Nullable List<String> keys, @Nullable Boolean all) {
            this(cache, keys, all, null);
        }

        /** @return whether the whole cache is to be dropped */
        public boolean clearsAll() {
            return Boolean.TRUE.equals(all);
        }
    }

    byte[] toBytes() {
        return MAPPER.writeValueAsBytes(this);
    }

    /**
     * Reads a message.
     * @param bytes the bytes received
     * @return the message
     * @throws IllegalArgumentException when the bytes are not a message of a known version
     */
    static InvalidationMessage fromBytes(byte[] bytes) {
        InvalidationMessage message;
        try {
            message = MAPPER.readValue(bytes, InvalidationMessage.class);
        }
        catch (RuntimeException ex) {
            throw new IllegalArgumentException("Unreadable invalidation message: " + ex.getMessage(), ex);
        }
        if (message.version() != VERSION) {
            throw new IllegalArgumentException("Invalidation message of unknown version " + message.version());
        }
        return message;
    }
}
