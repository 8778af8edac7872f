package io.github.multitiercache.core;

import io.github.multitiercache.core.l1.L1Entry;

/**
 * Decides whether a value read from Redis or loaded may still enter L1, and whether an L1 entry may
 * be served: the manager's {@link L1Guard} epoch (bumped when the instance may have missed an
 * invalidation) and this cache's {@link Generations} (bumped by every local write, evict,
 * invalidation or clear).
 *
 * <p>A reader takes a {@linkplain #ticket(String) ticket} before it reads or loads, and hands it to
 * the L1 fill, which writes only while the ticket is still current; the check is repeated after the
 * write, so an invalidation that lands in between still removes it.
 */
final class FillGuard {

    private final L1Guard guard;
    private final Generations generations = new Generations();

    FillGuard(L1Guard guard) {
        this.guard = guard;
    }

    /**
     * @param text the key's text form
     * @return the ticket: the guard's epoch and the key's generation
     */
    long ticket(String text) {
        return ((long) guard.epoch() << 32) | (generations.of(text) & 0xFFFFFFFFL);
    }

    /** @return whether nothing invalidated the key since {@code ticket} was taken */
    boolean isCurrent(String text, long ticket) {
        return ticket(text) == ticket;
    }

    /** @return the epoch a ticket was taken in, which the L1 entry records */
    static int epochOf(long ticket) {
        return (int) (ticket >>> 32);
    }

    /** @return whether an L1 entry may be served: the guard has not dropped it since it was filled */
    boolean isServable(L1Entry entry) {
        return entry.epoch() == guard.epoch();
    }

    /** @return the guard's current epoch */
    int epoch() {
        return guard.epoch();
    }

    /** @return an L1 TTL capped by the guard's state; 0 means do not write L1 */
    long capTtl(long ttlMillis) {
        return guard.capTtl(ttlMillis);
    }

    /** A key was written, evicted or invalidated here. */
    void bump(String text) {
        generations.bump(text);
    }

    /** The whole cache was cleared or dropped here. */
    void bumpAll() {
        generations.bumpAll();
    }
}
