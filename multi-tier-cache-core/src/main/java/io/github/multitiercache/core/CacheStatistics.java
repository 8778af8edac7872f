package io.github.multitiercache.core;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Running counts of one cache's activity, read by metrics and endpoints. Counting is a
 * {@link LongAdder} increment, cheap and contention-free.
 */
public final class CacheStatistics {

    final LongAdder l1Hits = new LongAdder();
    final LongAdder l1Misses = new LongAdder();
    final LongAdder l2Hits = new LongAdder();
    final LongAdder l2Misses = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder loads = new LongAdder();
    final LongAdder loadFailures = new LongAdder();
    final LongAdder loadNanos = new LongAdder();
    final LongAdder puts = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder clears = new LongAdder();
    final LongAdder codecErrors = new LongAdder();
    final LongAdder tagDrops = new LongAdder();
    final LongAdder bypasses = new LongAdder();
    final LongAdder bulkReads = new LongAdder();
    final LongAdder bulkKeys = new LongAdder();
    private volatile LongConsumer bulkReadSizes = size -> { };

    CacheStatistics() {
    }

    /** @return hits served by L1 */
    public long l1Hits() {
        return l1Hits.sum();
    }

    /** @return lookups L1 could not serve (L1 enabled) */
    public long l1Misses() {
        return l1Misses.sum();
    }

    /** @return hits served by Redis */
    public long l2Hits() {
        return l2Hits.sum();
    }

    /** @return lookups Redis could not serve, including when it was unavailable */
    public long l2Misses() {
        return l2Misses.sum();
    }

    /** @return lookups served by either tier */
    public long hits() {
        return l1Hits.sum() + l2Hits.sum();
    }

    /** @return lookups neither tier could serve */
    public long misses() {
        return misses.sum();
    }

    /** @return loader calls that completed */
    public long loads() {
        return loads.sum();
    }

    /** @return loader calls that threw */
    public long loadFailures() {
        return loadFailures.sum();
    }

    /** @return total time spent in loaders, in nanoseconds */
    public long loadNanos() {
        return loadNanos.sum();
    }

    /** @return explicit puts */
    public long puts() {
        return puts.sum();
    }

    /** @return explicit evictions */
    public long evictions() {
        return evictions.sum();
    }

    /** @return clears */
    public long clears() {
        return clears.sum();
    }

    /** @return entries not served (L1 or Redis) because one of their tags was evicted after they were written */
    public long tagDrops() {
        return tagDrops.sum();
    }

    /** @return values that could not be encoded or decoded */
    public long codecErrors() {
        return codecErrors.sum();
    }

    /** @return bulk reads ({@code getAll}); each of their keys is also counted as a single read */
    public long bulkReads() {
        return bulkReads.sum();
    }

    /** @return the keys asked for by bulk reads, duplicates once */
    public long bulkKeys() {
        return bulkKeys.sum();
    }

    /**
     * Tells a listener the number of keys of each bulk read from now on, for a distribution of
     * batch sizes; listeners added earlier keep being told.
     * @param sizes receives each bulk read's number of keys, on the reading thread
     */
    public synchronized void onBulkRead(LongConsumer sizes) {
        this.bulkReadSizes = this.bulkReadSizes.andThen(sizes);
    }

    void bulkRead(int keys) {
        bulkReads.increment();
        bulkKeys.add(keys);
        bulkReadSizes.accept(keys);
    }

    /** @return calls that bypassed the cache because the key had no stable text form or was null */
    public long bypasses() {
        return bypasses.sum();
    }
}
