package io.github.multitiercache.core;

import java.time.Clock;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.stampede.FailSafeSettings;

/**
 * The TTLs of one cache: every TTL it writes, jittered, and how long an entry read from Redis may
 * live elsewhere.
 *
 * <ul>
 * <li>L1: {@code l1.ttl}, a cached null no longer than {@code null-ttl}; a pinned hot key at least
 * {@code hot-keys.l1-ttl}; never beyond the entry's remaining life in Redis (the caller's limit).</li>
 * <li>Redis, logical: {@code l2.ttl}, or {@code null-ttl} for a null; what readers see as the
 * entry's life.</li>
 * <li>Redis, physical: the logical TTL plus {@code fail-safe.max-stale} with fail-safe on, so that an
 * expired value is still at hand when the loader fails.</li>
 * </ul>
 */
final class ExpiryPolicy {

    private final CacheSettings settings;
    private final TtlJitter jitter;
    private final Clock clock;
    private final boolean failSafe;
    private final long staleMillis;

    ExpiryPolicy(CacheSettings settings, TtlJitter jitter, Clock clock) {
        this.settings = settings;
        this.jitter = jitter;
        this.clock = clock;
        FailSafeSettings failSafe = settings.failSafe();
        this.failSafe = failSafe.enabled();
        this.staleMillis = failSafe.enabled() ? failSafe.maxStale().toMillis() : 0;
    }

    /** @return the wall-clock time, in epoch milliseconds, that entries in Redis are stamped with */
    long now() {
        return clock.millis();
    }

    /** @return a jittered L1 TTL for a value ({@code nullValue}: a cached null) */
    long l1Millis(boolean nullValue) {
        long ttl = settings.l1Ttl().toMillis();
        return jitter.apply(nullValue ? Math.min(settings.nullTtl().toMillis(), ttl) : ttl, settings.ttlJitter());
    }

    /** @return a jittered L1 TTL for a pinned hot key */
    long pinMillis(boolean nullValue) {
        long ttl = settings.hotKeys().l1Ttl().toMillis();
        return jitter.apply(nullValue ? Math.min(ttl, settings.nullTtl().toMillis()) : ttl, settings.ttlJitter());
    }

    /** @return a jittered logical Redis TTL */
    long l2Millis(boolean nullValue) {
        return jitter.apply(nullValue ? settings.nullTtl().toMillis() : settings.l2Ttl().toMillis(),
                settings.ttlJitter());
    }

    /** @return the TTL written to Redis for a logical TTL: plus fail-safe's stale period */
    long physical(long logicalMillis) {
        return logicalMillis + staleMillis;
    }

    /** @return the time an entry read from Redis has left there, fail-safe's stale period included */
    long physicalRemaining(StoredEntry entry) {
        if (entry.expiresAtEpochMillis() == StoredEntry.NO_EXPIRY) {
            return physical(settings.l2Ttl().toMillis());
        }
        return physical(entry.expiresAtEpochMillis() - clock.millis());
    }

    /**
     * Whether an entry read from Redis may serve a read: with fail-safe, an entry past its logical
     * expiry is kept only to be served when loading fails.
     */
    boolean isLive(StoredEntry entry, long nowMillis) {
        return !failSafe || !entry.isExpired(nowMillis);
    }

    /** Whether fail-safe may still serve an expired entry at {@code nowMillis}. */
    boolean isServableStale(StoredEntry stale, long nowMillis) {
        if (!failSafe) {
            return false;
        }
        long until = stale.expiresAtEpochMillis() + staleMillis;
        return until < 0 || nowMillis < until;
    }
}
