package io.github.multitiercache.cdc;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import io.github.multitiercache.spring.MultiTierCache;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache;

/**
 * Turns a batch of Debezium change records into evictions and makes them: each key once per batch,
 * the keys of one cache together through {@link MultiTierCache#evictAll} (one Redis round trip per node,
 * one bus message telling the other instances' L1, deletes retried while Redis is down), whole caches cleared for a {@code TRUNCATE}, and the batch's tags in one call of
 * the {@link CdcTagEvictor}. A row whose mapping fails is logged (at most once per
 * {@value #LOG_INTERVAL_SECONDS} s, with the number of failures meanwhile) and counted; the rest of the
 * batch goes on.
 */
final class ChangeApplier {

    static final int LOG_INTERVAL_SECONDS = 10;

    private static final Log logger = LogFactory.getLog(ChangeApplier.class);

    private final CdcMapping mapping;

    private final Function<String, @Nullable Cache> caches;

    private final @Nullable CdcTagEvictor tagEvictor;

    private final CdcMeters meters;

    private final Clock clock;

    final LongAdder changesSeen = new LongAdder();

    final LongAdder keysEvicted = new LongAdder();

    final LongAdder tagsEvicted = new LongAdder();

    final LongAdder cachesCleared = new LongAdder();

    final LongAdder mappingFailures = new LongAdder();

    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - Duration.ofSeconds(LOG_INTERVAL_SECONDS).toNanos());

    private final AtomicLong unloggedFailures = new AtomicLong();

    private volatile @Nullable Long lastLsn;

    private volatile @Nullable Instant lastCommitAt;

    private volatile long lastLagMillis = -1;

    ChangeApplier(CdcMapping mapping, Function<String, @Nullable Cache> caches, @Nullable CdcTagEvictor tagEvictor,
            CdcMeters meters, Clock clock) {
        this.mapping = mapping;
        this.caches = caches;
        this.tagEvictor = tagEvictor;
        this.meters = meters;
        this.clock = clock;
    }

    /**
     * Maps and evicts a batch. Returns once every eviction was made (or owed to Redis by the cache).
     * @throws RuntimeException from the tag evictor: the batch must not be marked processed
     */
    void apply(List<SourceRecord> records) {
        CdcEvictions evictions = new CdcEvictions();
        Long batchLsn = null;
        Long batchCommitMillis = null;
        for (SourceRecord record : records) {
            if (!(record.value() instanceof Struct value) || value.schema().field("op") == null
                    || value.schema().field("source") == null) {
                continue; // tombstones, heartbeats
            }
            String op = value.getString("op");
            Struct source = value.getStruct("source");
            String table = source.getString("schema") + "." + source.getString("table");
            changesSeen.increment();
            meters.changeSeen(table, op);
            try {
                if ("t".equals(op)) {
                    mapping.cachesOf(table).forEach(evictions::clear);
                    mapping.constantTagsOf(table).forEach(evictions::tag);
                } else {
                    Map<String, @Nullable Object> before = row(value, "before");
                    Map<String, @Nullable Object> after = row(value, "after");
                    if (before != null) {
                        mapping.evictionsOf(table, before, evictions);
                    }
                    if (after != null) {
                        mapping.evictionsOf(table, after, evictions);
                    }
                }
            } catch (RuntimeException e) {
                mappingFailed(table, op, source, e);
            }
            Object lsn = source.schema().field("lsn") != null ? source.get("lsn") : null;
            if (lsn instanceof Long l) {
                batchLsn = l;
            }
            Object ts = source.schema().field("ts_ms") != null ? source.get("ts_ms") : null;
            if (ts instanceof Long millis) {
                batchCommitMillis = (batchCommitMillis == null) ? millis : Math.min(batchCommitMillis, millis);
            }
        }
        evict(evictions);
        if (batchLsn != null) {
            lastLsn = batchLsn;
        }
        if (batchCommitMillis != null) {
            long lag = Math.max(0, clock.millis() - batchCommitMillis);
            lastCommitAt = Instant.ofEpochMilli(batchCommitMillis);
            lastLagMillis = lag;
            meters.lag(Duration.ofMillis(lag));
        }
    }

    private void evict(CdcEvictions evictions) {
        for (String name : evictions.clears()) {
            Cache cache = caches.apply(name);
            if (cache != null) {
                cache.clear();
                cachesCleared.increment();
                meters.evicted("clear", 1);
            }
        }
        for (Map.Entry<String, Set<Object>> entry : evictions.keys().entrySet()) {
            if (evictions.clears().contains(entry.getKey())) {
                continue;
            }
            Cache cache = caches.apply(entry.getKey());
            if (cache == null) {
                continue;
            }
            int done = evictKeys(entry.getKey(), cache, entry.getValue());
            keysEvicted.add(done);
            meters.evicted("key", done);
        }
        Set<String> tags = evictions.tags();
        if (!tags.isEmpty() && tagEvictor != null) {
            tagEvictor.evictTags(List.copyOf(tags));
            tagsEvicted.add(tags.size());
            meters.evicted("tag", tags.size());
        }
    }

    /**
     * Evicts a batch's keys of one cache: a multi-tier cache in one call ({@link MultiTierCache#evictAll}:
     * one Redis round trip per node, one bus message), any other cache key by key.
     * @return how many keys were evicted
     */
    private int evictKeys(String name, Cache cache, Set<Object> keys) {
        if (cache instanceof MultiTierCache multiTier) {
            try {
                multiTier.evictAll(keys);
                return keys.size();
            } catch (RuntimeException e) {
                // Not expected (Redis trouble is owed, not thrown): evict key by key, each failure reported.
                logger.debug("Change data capture: evicting " + keys.size() + " keys of " + name
                        + " at once failed, evicting them one by one: " + e);
            }
        }
        int done = 0;
        for (Object key : keys) {
            try {
                cache.evict(key);
                done++;
            } catch (RuntimeException e) {
                mappingFailed(name, "evict", null, e);
            }
        }
        return done;
    }

    private static @Nullable Map<String, @Nullable Object> row(Struct value, String image) {
        if (value.schema().field(image) == null) {
            return null;
        }
        Struct row = value.getStruct(image);
        if (row == null) {
            return null;
        }
        Map<String, @Nullable Object> columns = new HashMap<>();
        for (Field field : row.schema().fields()) {
            columns.put(field.name(), row.get(field));
        }
        return columns;
    }

    private void mappingFailed(String where, String op, @Nullable Struct source, RuntimeException e) {
        mappingFailures.increment();
        meters.mappingFailed(where);
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= Duration.ofSeconds(LOG_INTERVAL_SECONDS).toNanos() && lastLogNanos.compareAndSet(last, now)) {
            long suppressed = unloggedFailures.getAndSet(0);
            Object lsn = (source != null && source.schema().field("lsn") != null) ? source.get("lsn") : null;
            logger.warn("Change data capture: cannot map a change of " + where + " (op " + op + ", lsn " + lsn
                    + "); its evictions are skipped, the rest of the batch goes on"
                    + (suppressed > 0 ? " (" + suppressed + " more failures since the last report)" : "") + ": "
                    + e.getMessage());
        } else {
            unloggedFailures.incrementAndGet();
        }
    }

    @Nullable Long lastLsn() {
        return lastLsn;
    }

    @Nullable Instant lastCommitAt() {
        return lastCommitAt;
    }

    long lastLagMillis() {
        return lastLagMillis;
    }
}
