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

    L1Entry(Object storeValue, String keyText, long expiresAtNanos) {
        this.storeValue = storeValue;
        this.keyText = keyText;
        this.expiresAtNanos = expiresAtNanos;
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

    long expiresAtNanos() {
        return expiresAtNanos;
    }
}
