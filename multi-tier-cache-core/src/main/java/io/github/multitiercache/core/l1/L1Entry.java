package io.github.multitiercache.core.l1;

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

    L1Entry(Object storeValue, String keyText, long expiresAtNanos, int epoch) {
        this.storeValue = storeValue;
        this.keyText = keyText;
        this.expiresAtNanos = expiresAtNanos;
        this.epoch = epoch;
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
