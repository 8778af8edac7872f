package io.github.multitiercache.core.codec;

import org.jspecify.annotations.Nullable;

/**
 * What one cache entry in Redis holds: the value and the timing metadata needed to serve it from
 * L2 and to refresh it early.
 *
 * <p>Contract: immutable; {@code value} is {@code null} for a cached {@code null} (as opposed to a
 * missing entry); times are epoch milliseconds, {@code expiresAtEpochMillis} is
 * {@link #NO_EXPIRY} for an entry that never expires; {@code loadMillis} is how long the load that
 * produced the value took (input to probabilistic early refresh), {@code 0} when unknown, never
 * negative. Equality is component-wise, so array values compare by identity.
 *
 * @param value the cached value, {@code null} for a cached null
 * @param writtenAtEpochMillis when the entry was written
 * @param expiresAtEpochMillis when the entry expires, or {@link #NO_EXPIRY}
 * @param loadMillis duration of the load that produced the value, {@code 0} when unknown
 * @param tags the entry's tags and as-of time, {@code null} for an untagged entry
 */
public record StoredEntry(
        @Nullable Object value, long writtenAtEpochMillis, long expiresAtEpochMillis, int loadMillis,
        @Nullable EntryTags tags) {

    /** The {@code expiresAtEpochMillis} of an entry without a time-to-live. */
    public static final long NO_EXPIRY = Long.MAX_VALUE;

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if {@code loadMillis} is negative
     */
    public StoredEntry {
        if (loadMillis < 0) {
            throw new IllegalArgumentException("loadMillis must not be negative: " + loadMillis);
        }
    }

    /**
     * An untagged entry.
     * @param value the cached value, {@code null} for a cached null
     * @param writtenAtEpochMillis when the entry was written
     * @param expiresAtEpochMillis when the entry expires, or {@link #NO_EXPIRY}
     * @param loadMillis duration of the load that produced the value, {@code 0} when unknown
     */
    public StoredEntry(@Nullable Object value, long writtenAtEpochMillis, long expiresAtEpochMillis, int loadMillis) {
        this(value, writtenAtEpochMillis, expiresAtEpochMillis, loadMillis, null);
    }

    /** Tells whether this entry caches a {@code null} value. */
    public boolean isNull() {
        return value == null;
    }

    /**
     * Returns the time left until expiry, {@code 0} once expired, {@link Long#MAX_VALUE} for an
     * entry that never expires.
     */
    public long remainingMillis(long nowEpochMillis) {
        if (expiresAtEpochMillis == NO_EXPIRY) {
            return Long.MAX_VALUE;
        }
        // Subtract without overflow: extreme clock values must not turn into a long TTL.
        if (nowEpochMillis >= expiresAtEpochMillis) {
            return 0;
        }
        long remaining = expiresAtEpochMillis - nowEpochMillis;
        return (remaining < 0) ? Long.MAX_VALUE : remaining;
    }

    /** Tells whether the entry has expired at the given time; never for {@link #NO_EXPIRY}. */
    public boolean isExpired(long nowEpochMillis) {
        return remainingMillis(nowEpochMillis) == 0;
    }
}
