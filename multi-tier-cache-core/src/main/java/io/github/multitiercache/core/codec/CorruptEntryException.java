package io.github.multitiercache.core.codec;

import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.serializer.SerializationException;

/**
 * Thrown by {@link EntryCodec#decode(byte[])} when bytes read from Redis are not a readable cache
 * entry: wrong magic byte, unknown format version, truncated header, invalid flags, a compressed
 * payload that does not inflate, or a payload the value serializer rejects.
 *
 * <p>Contract: the message says precisely what was wrong; callers treat the entry as a miss (and
 * may delete it). The subclass {@link NewerFormatVersionException} marks entries that are not
 * damaged but were written by a newer release.
 */
public class CorruptEntryException extends SerializationException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with the given message. */
    public CorruptEntryException(String message) {
        super(message);
    }

    /** Creates an exception with the given message and cause. */
    public CorruptEntryException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
