package io.github.multitiercache.core.codec;

import org.springframework.data.redis.serializer.SerializationException;

/**
 * Thrown by {@link EntryCodec#encode(StoredEntry)} when an entry exceeds the configured maximum
 * encoded size.
 *
 * <p>Contract: nothing was written; the message names the size and the limit. Callers typically
 * skip caching the value in Redis (and may keep it in L1 only).
 */
public class EntryTooLargeException extends SerializationException {

    private static final long serialVersionUID = 1L;

    private final long sizeBytes;
    private final long limitBytes;

    /**
     * Creates an exception for the given sizes.
     *
     * @param sizeBytes the size of the entry, in bytes
     * @param limitBytes the configured maximum, in bytes
     */
    public EntryTooLargeException(long sizeBytes, long limitBytes) {
        super("Cache entry of " + sizeBytes + " bytes exceeds the maximum encoded size of "
                + limitBytes + " bytes");
        this.sizeBytes = sizeBytes;
        this.limitBytes = limitBytes;
    }

    /** Returns the size of the rejected entry, in bytes. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Returns the configured maximum, in bytes. */
    public long limitBytes() {
        return limitBytes;
    }
}
