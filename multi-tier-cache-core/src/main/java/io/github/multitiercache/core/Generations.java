package io.github.multitiercache.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The invalidation counts of one cache: one for the whole cache, bumped by clears, and one per
 * stripe of keys, bumped when a key of the stripe is written, evicted or invalidated. A value read
 * before a bump of its key's count is not put into L1 after it; striping keeps an invalidation of one
 * key from cancelling the L1 fills of every other key under way at the time (with 64 stripes, one in
 * 64 of them).
 */
final class Generations {

    private static final int STRIPES = 64;

    private final AtomicLong all = new AtomicLong();
    private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);

    /** @return the current count of a key: its stripe's plus the whole cache's */
    long of(String keyText) {
        return all.get() + stripes.get(stripe(keyText));
    }

    /** A key was written, evicted or invalidated. */
    void bump(String keyText) {
        stripes.incrementAndGet(stripe(keyText));
    }

    /** The whole cache was cleared. */
    void bumpAll() {
        all.incrementAndGet();
    }

    private static int stripe(String keyText) {
        int h = keyText.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }
}
