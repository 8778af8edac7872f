package io.github.multitiercache.core.codec;

import java.util.Collection;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.data.redis.serializer.SerializationException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.exc.InvalidTypeIdException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The default value codec: JSON through Jackson 3 with polymorphic type ids restricted to a
 * {@link TypeAllowList}, so that bytes in Redis can never make the application instantiate a class
 * it did not opt into.
 *
 * <p>Contract:
 * <ul>
 *   <li>Values round-trip with their exact runtime type: a {@code Long} comes back as a
 *       {@code Long}, a record as that record, a {@code List} as an equal {@code List} (an
 *       immutable JDK list may come back as another immutable implementation), and so on for the
 *       types in {@link TypeAllowList#DEFAULT_JDK_TYPES}, arrays, enums, records and
 *       Jackson-compatible beans under the allowed package prefixes, including values held in
 *       {@code Object}- or interface-typed fields. Two limits come from JSON itself: map keys
 *       travel as strings, so only maps with {@code String} keys (or keys of a declared,
 *       non-{@code Object} type) keep their key type; and an {@code Optional} keeps its wrapper only
 *       in an {@code Optional}-typed field, while at the top level or in an {@code Object}-typed
 *       position it is written as its content ({@code null} when empty), which is also how
 *       Spring's cache abstraction treats {@code Optional} results.
 *   <li>A type id naming a class outside the allow-list fails with a {@link SerializationException}
 *       that names the class and how to allow it; the class is never instantiated and, for plain
 *       class ids, never even loaded. Writing such a value fails the same way, because it could not
 *       be read back.
 *   <li>Anything Jackson cannot write (reference cycles, beans without properties, ...) or read
 *       (corrupt JSON, trailing garbage, ...) is reported as a {@link SerializationException};
 *       no other exception escapes.
 *   <li>{@code null} is written as an empty array; {@code null} or an empty array reads as
 *       {@code null}, as {@link RedisSerializer} implementations customarily do.
 *   <li>Unknown JSON properties are ignored on read, so entries written by a release with an extra
 *       field still load after a rolling upgrade or rollback.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class JsonValueSerializer implements RedisSerializer<Object> {

    private static final byte[] EMPTY = new byte[0];

    private static final JsonValueSerializer JDK_TYPES_ONLY =
            new JsonValueSerializer(TypeAllowList.jdkTypesOnly());

    private final TypeAllowList allowList;
    private final ObjectWriter writer;
    private final ObjectReader reader;

    /**
     * Creates a serializer accepting {@link TypeAllowList#DEFAULT_JDK_TYPES} plus the classes under
     * the given package prefixes.
     *
     * @param allowedPackagePrefixes application package prefixes such as {@code com.example.shop.}
     * @throws IllegalArgumentException if a prefix is unsafe or malformed; see
     *     {@link TypeAllowList#of(Collection)}
     */
    public JsonValueSerializer(Collection<String> allowedPackagePrefixes) {
        this(TypeAllowList.of(allowedPackagePrefixes));
    }

    /** Creates a serializer bound to the given allow-list. */
    public JsonValueSerializer(TypeAllowList allowList) {
        this.allowList = allowList;
        RestrictedTyping.Validator validator = new RestrictedTyping.Validator(allowList);
        JsonMapper mapper = JsonMapper.builder()
                // Also governs @JsonTypeInfo(use = CLASS) on application types.
                .polymorphicTypeValidator(validator)
                .setDefaultTyping(new RestrictedTyping.TypingBuilder(validator, allowList))
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                // ISO-8601 text that keeps offsets and zone ids, so time values compare equal.
                .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DateTimeFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .enable(DateTimeFeature.WRITE_DATES_WITH_ZONE_ID)
                .disable(DateTimeFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .build();
        // Declaring the root as Object makes even a final top-level type (Long, a record) carry
        // its type id, which plain writeValue would omit.
        this.writer = mapper.writerFor(Object.class);
        this.reader = mapper.readerFor(Object.class);
    }

    /** Returns a shared serializer that accepts only {@link TypeAllowList#DEFAULT_JDK_TYPES}. */
    public static JsonValueSerializer jdkTypesOnly() {
        return JDK_TYPES_ONLY;
    }

    /** Returns a serializer for the JDK types plus the given application package prefixes. */
    public static JsonValueSerializer forPackages(String... allowedPackagePrefixes) {
        return new JsonValueSerializer(List.of(allowedPackagePrefixes));
    }

    /** Returns the effective allow-list: the built-in JDK types and the package prefixes. */
    public TypeAllowList allowList() {
        return allowList;
    }

    @Override
    public byte[] serialize(@Nullable Object value) throws SerializationException {
        if (value == null) {
            return EMPTY;
        }
        try {
            return writer.writeValueAsBytes(value);
        } catch (RuntimeException | StackOverflowError ex) {
            // StackOverflowError: an object graph deep enough to exhaust the stack before
            // Jackson's nesting limit trips is a property of the value, not of the JVM.
            RestrictedTyping.DisallowedTypeException disallowed = findDisallowed(ex);
            if (disallowed != null) {
                throw new SerializationException(disallowed.getMessage(), ex);
            }
            throw new SerializationException("Cannot serialize value of type "
                    + value.getClass().getName() + " to JSON: " + describe(ex), ex);
        }
    }

    @Override
    public @Nullable Object deserialize(byte @Nullable [] bytes) throws SerializationException {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try {
            return reader.readValue(bytes);
        } catch (InvalidTypeIdException ex) {
            String typeId = ex.getTypeId();
            String rejected = (typeId != null) ? allowList.firstDisallowed(typeId) : null;
            if (rejected != null) {
                throw new SerializationException("Refusing to deserialize a cached value of type '"
                        + rejected + "': it is not on the allow-list; " + allowList.remedyFor(rejected),
                        ex);
            }
            throw new SerializationException("Cannot deserialize cached JSON value: " + describe(ex),
                    ex);
        } catch (RuntimeException | StackOverflowError ex) {
            throw new SerializationException("Cannot deserialize cached JSON value: " + describe(ex),
                    ex);
        }
    }

    @Override
    public Class<?> getTargetType() {
        return Object.class;
    }

    @Override
    public String toString() {
        return "JsonValueSerializer[" + allowList + "]";
    }

    private static RestrictedTyping.@Nullable DisallowedTypeException findDisallowed(Throwable ex) {
        for (Throwable t = ex; t != null; t = (t.getCause() == t) ? null : t.getCause()) {
            if (t instanceof RestrictedTyping.DisallowedTypeException disallowed) {
                return disallowed;
            }
        }
        return null;
    }

    private static String describe(Throwable ex) {
        String message = (ex instanceof JacksonException jackson)
                ? jackson.getOriginalMessage() : ex.getMessage();
        return (message != null) ? message : ex.getClass().getName();
    }
}
