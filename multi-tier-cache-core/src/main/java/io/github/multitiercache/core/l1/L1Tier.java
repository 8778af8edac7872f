package io.github.multitiercache.core.l1;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.multitiercache.core.codec.EntryTags;
import org.jspecify.annotations.Nullable;

/**
 * The in-process tier of one cache: a Caffeine cache (W-TinyLFU eviction, bounded size) whose
 * entries each carry their own expiry, so jittered TTLs and "no longer than the Redis copy" both
 * hold per entry.
 *
 * <p>Entries are keyed by the caller's key object, which keeps a hit as cheap as Caffeine's own
 * lookup. A secondary index by key text lets an invalidation that names a key in its Redis form
 * find the entry; it is maintained on writes and evictions only.
 *
 * <p>Entries evicted by Caffeine itself are counted by cause ({@link #sizeEvictions()},
 * {@link #expirations()}) in the eviction listener, off the read path.
 *
 * <p>A hit is recorded for the eviction policy only once the tier has been at least half full, as
 * Caffeine itself does for a cache without per-entry expiry: until then nothing is evicted, so the
 * order of reads cannot matter, and Caffeine's frequency sketch is not built yet. Caffeine cannot
 * skip recording on its own here, since per-entry expiry makes it record every read; a read before
 * that point is a quiet lookup (a map read and an expiry check), which also spares the reader the
 * maintenance that recorded reads ask for every few reads.
 *
 * <p>Caffeine's maintenance (draining its buffers, expiry, eviction) runs on the calling thread when
 * a write of this tier (a put, an invalidation) asks for it, and on the given executor when a read
 * does. After a write the work is a few microseconds, less than waking a pool thread for it, which
 * every write used to do; a reader, whose hit costs tens of nanoseconds, keeps handing it off.
 */
public final class L1Tier {

    // Set while this thread writes to a tier: the maintenance Caffeine asks for then runs inline.
    private static final ThreadLocal<Boolean> writing = new ThreadLocal<>();

    private final Cache<Object, L1Entry> cache;
    private final Policy<Object, L1Entry> policy;
    private final long halfMaximumSize;
    // Whether hits are recorded for the eviction policy: set, for good, by the first write that finds
    // the tier at least half full (when Caffeine builds its frequency sketch).
    private volatile boolean recordsReads;
    private final Executor background;
    private final ConcurrentMap<String, Object> keysByText = new ConcurrentHashMap<>();
    private final Ticker ticker;
    private final LongAdder sizeEvictions = new LongAdder();
    private final LongAdder expirations = new LongAdder();

    /**
     * Creates the tier.
     * @param maximumSize the maximum number of entries
     * @param ticker the time source for expiry
     * @param executor where Caffeine runs the maintenance that reads ask for
     */
    public L1Tier(long maximumSize, Ticker ticker, Executor executor) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.background = Objects.requireNonNull(executor, "executor");
        this.cache = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfter(new PerEntryExpiry())
                .ticker(ticker)
                .executor(this::maintain)
                .evictionListener((@Nullable Object key, @Nullable L1Entry entry, RemovalCause cause) -> {
                    if (key != null && entry != null) {
                        keysByText.remove(entry.keyText(), key);
                    }
                    countEviction(cause);
                })
                .build();
        this.policy = cache.policy();
        this.halfMaximumSize = maximumSize >>> 1;
    }

    /**
     * Looks a key up.
     * @param key the caller's key
     * @return the live entry, or {@code null}
     */
    public @Nullable L1Entry get(Object key) {
        return recordsReads ? cache.getIfPresent(key) : policy.getIfPresentQuietly(key);
    }

    /**
     * Stores a value for the given time.
     * @param key the caller's key
     * @param keyText the key's stable text form
     * @param storeValue the value, {@code NullValue.INSTANCE} for a cached {@code null}
     * @param ttlNanos how long the entry lives, positive
     * @param epoch the L1 guard's epoch when the value was read or loaded
     * @return the stored entry
     */
    public L1Entry put(Object key, String keyText, Object storeValue, long ttlNanos, int epoch) {
        return put(key, keyText, storeValue, ttlNanos, epoch, null);
    }

    /**
     * Stores a value carrying tags for the given time.
     * @param key the caller's key
     * @param keyText the key's stable text form
     * @param storeValue the value, {@code NullValue.INSTANCE} for a cached {@code null}
     * @param ttlNanos how long the entry lives, positive
     * @param epoch the L1 guard's epoch when the value was read or loaded
     * @param tags its tags, {@code null} for none
     * @return the stored entry
     */
    public L1Entry put(Object key, String keyText, Object storeValue, long ttlNanos, int epoch,
            @Nullable EntryTags tags) {
        L1Entry entry = new L1Entry(storeValue, keyText, ticker.read() + ttlNanos, epoch, tags);
        writing.set(Boolean.TRUE);
        try {
            Object previous = keysByText.put(keyText, key);
            if (previous != null && !previous.equals(key)) {
                // Two key objects with one text form (1 and 1L): keep only the newest, so that an
                // invalidation by text can never miss a copy.
                cache.invalidate(previous);
            }
            cache.put(key, entry);
        }
        finally {
            writing.remove();
        }
        if (!recordsReads && cache.estimatedSize() >= halfMaximumSize) {
            recordsReads = true;
        }
        return entry;
    }

    /**
     * Removes a key.
     * @param key the caller's key
     * @return whether an entry was present
     */
    public boolean invalidate(Object key) {
        writing.set(Boolean.TRUE);
        try {
            L1Entry removed = cache.asMap().remove(key);
            if (removed != null) {
                keysByText.remove(removed.keyText(), key);
                return true;
            }
            return false;
        }
        finally {
            writing.remove();
        }
    }

    /**
     * Removes the entry whose key has the given text form, as named by an invalidation message.
     * @param keyText the key's text form
     * @return whether an entry was present
     */
    public boolean invalidateByText(String keyText) {
        Object key = keysByText.remove(keyText);
        if (key == null) {
            return false;
        }
        writing.set(Boolean.TRUE);
        try {
            return cache.asMap().remove(key) != null;
        }
        finally {
            writing.remove();
        }
    }

    /** Removes every entry. */
    public void invalidateAll() {
        cache.invalidateAll();
        keysByText.clear();
    }

    /**
     * The approximate number of entries.
     * @return the estimated size
     */
    public long estimatedSize() {
        return cache.estimatedSize();
    }

    /**
     * Runs pending maintenance (expiry, eviction) now; useful for exact sizes in tests and
     * endpoints.
     */
    public void cleanUp() {
        cache.cleanUp();
    }

    /**
     * The remaining life of a key's entry.
     * @param key the caller's key
     * @return nanoseconds left, or -1 when absent
     */
    public long remainingNanos(Object key) {
        L1Entry entry = cache.getIfPresent(key);
        return (entry != null) ? Math.max(0, entry.expiresAtNanos() - ticker.read()) : -1;
    }

    /**
     * The remaining life of the entry whose key has the given text form, read without counting as
     * an access (the eviction policy does not see it).
     * @param keyText the key's text form
     * @param epoch the epoch the entry must carry to be served (the L1 guard's current epoch)
     * @return nanoseconds left, or -1 when absent, expired or of another epoch
     */
    public long remainingNanosByText(String keyText, int epoch) {
        Object key = keysByText.get(keyText);
        L1Entry entry = (key != null) ? cache.policy().getIfPresentQuietly(key) : null;
        if (entry == null || entry.epoch() != epoch) {
            return -1;
        }
        long remaining = entry.expiresAtNanos() - ticker.read();
        return (remaining > 0) ? remaining : -1;
    }

    /**
     * The entry whose key has the given text form, read without counting as an access.
     * @param keyText the key's text form
     * @return the entry, or {@code null}
     */
    public @Nullable L1Entry peekByText(String keyText) {
        Object key = keysByText.get(keyText);
        return (key != null) ? cache.policy().getIfPresentQuietly(key) : null;
    }

    /**
     * The entries Caffeine evicted because the tier was full.
     * @return the count since creation
     */
    public long sizeEvictions() {
        return sizeEvictions.sum();
    }

    /**
     * The entries Caffeine removed because their time to live had passed.
     * @return the count since creation
     */
    public long expirations() {
        return expirations.sum();
    }

    private void maintain(Runnable task) {
        if (writing.get() != null) {
            task.run();
        }
        else {
            background.execute(task);
        }
    }

    private void countEviction(RemovalCause cause) {
        if (cause == RemovalCause.SIZE) {
            sizeEvictions.increment();
        }
        else if (cause == RemovalCause.EXPIRED) {
            expirations.increment();
        }
    }

    private static final class PerEntryExpiry implements Expiry<Object, L1Entry> {

        @Override
        public long expireAfterCreate(Object key, L1Entry entry, long currentTime) {
            return Math.max(0, entry.expiresAtNanos() - currentTime);
        }

        @Override
        public long expireAfterUpdate(Object key, L1Entry entry, long currentTime, long currentDuration) {
            return Math.max(0, entry.expiresAtNanos() - currentTime);
        }

        @Override
        public long expireAfterRead(Object key, L1Entry entry, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}
