package io.github.multitiercache.core.l1;

import io.github.multitiercache.core.codec.EntryTags;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache;
import org.springframework.cache.support.NullValue;

/**
 * One value held by the {@link L1Tier}, with its own expiry. It is also the
 * {@link Cache.ValueWrapper} handed to callers on a hit, so an L1 hit allocates nothing.
 */
public final class L1Entry implements Cache.ValueWrapper {

    private final Object storeValue;
    private final String keyText;
    private final long expiresAtNanos;
    private final int epoch;
    private final @Nullable EntryTags tags;
    // The tag epoch in which the entry was last found valid; -1: not yet.
    private volatile int tagEpoch = -1;

    L1Entry(Object storeValue, String keyText, long expiresAtNanos, int epoch, @Nullable EntryTags tags) {
        this.storeValue = storeValue;
        this.keyText = keyText;
        this.expiresAtNanos = expiresAtNanos;
        this.epoch = epoch;
        this.tags = tags;
    }

    /**
     * The entry's tags and as-of time.
     * @return the tags, {@code null} for an untagged entry
     */
    public @Nullable EntryTags tags() {
        return tags;
    }

    /**
     * The tag epoch in which the entry was last found valid.
     * @return the epoch, -1 when never checked
     */
    public int tagEpoch() {
        return tagEpoch;
    }

    /**
     * Records that the entry was found valid in a tag epoch.
     * @param epoch the tag epoch
     */
    public void validatedIn(int epoch) {
        this.tagEpoch = epoch;
    }

    /**
     * The cached value; {@code null} for a cached {@code null}.
     * @return the value
     */
    @Override
    public @Nullable Object get() {
        return (storeValue == NullValue.INSTANCE) ? null : storeValue;
    }

    /**
     * The key in its stable text form, as it appears in Redis and in invalidation messages.
     * @return the key text
     */
    public String keyText() {
        return keyText;
    }

    /**
     * The epoch of the L1 guard when this value was read or loaded; the entry is served only in
     * that epoch.
     * @return the epoch
     */
    public int epoch() {
        return epoch;
    }

    long expiresAtNanos() {
        return expiresAtNanos;
    }
}
