package io.github.multitiercache.core;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.multitiercache.core.codec.EntryTags;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.redis.RedisTier;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * What one instance knows of tag evictions, for every cache of one manager (tags are global to the
 * key prefix), and the eviction of tags itself: see {@code docs/tags.md}.
 *
 * <p><b>Design</b> (lazy, O(1) per eviction). Evicting a tag records its eviction time in Redis
 * ({@link TagStore}, one max-merging script per tag) and tells the other instances (one message). An
 * entry carries its tags and its as-of time ({@link EntryTags}); it is valid only if its as-of time
 * is later than the eviction time of every tag it carries. Nothing scans or deletes entries.
 *
 * <p><b>Evictions limited to some caches.</b> A tag evicted in cache {@code c} only is recorded, known
 * and announced under the scoped name {@code c + U+001F + tag} ({@link EntryTags#scoped}); a tag cannot contain
 * U+001F, so no tag is ever mistaken for a scoped name. An entry of cache {@code c} is checked against
 * both its tags' global and scoped times: twice the lookups on the slow path and in one {@code MGET},
 * nothing on the epoch fast path.
 *
 * <p><b>Knowledge.</b> Tag → eviction time, in a bounded Caffeine map, merged with max (a stale
 * fetch never lowers a known time). Filled by this instance's evictions (before {@link #evict}
 * returns), by the other instances' messages, and by {@code MGET} of the tags met on a Redis read
 * that it does not know. A tag unknown while Redis does not answer makes its entry a miss. Each
 * time the {@link L1Guard} drops L1 (a gap in the messages, a degraded or re-subscribed channel), the
 * knowledge is dropped too, since it may have missed an eviction; while the guard is degraded, what
 * is learned is kept at most {@code degraded-l1-ttl}.
 *
 * <p><b>Cheap L1 hit.</b> {@link #epoch()} is bumped whenever a tag's known eviction time rises (or a
 * tag is learned with one). A tagged L1 entry remembers the epoch at which it was last found valid:
 * a hit in that same epoch costs one volatile read; otherwise the entry is checked against the
 * knowledge again. Untagged entries cost a null check.
 *
 * <p><b>As-of times</b> are epoch microseconds of this instance's clock, made monotonic with its own
 * evictions and those it hears of (up to 10 s ahead of its clock): an as-of time taken after
 * {@link #evict} returned, or after an announced eviction arrived, is later than that eviction's
 * time, and one taken before {@link #evict} was called is not. Across instances, the clocks are assumed synchronized
 * (NTP); see {@code docs/tags.md} for what a skew means.
 *
 * <p><b>Owed writes.</b> An eviction Redis did not take is known here and announced at once, owed to
 * Redis and retried with a backoff ({@link RetryBackoff}, as {@link RedisRecovery} does with deletes), then
 * announced again.
 *
 * <p>Thread-safe; {@link #evict} may be called from any thread at any rate.
 */
public final class TagClock {

    private static final Log logger = LogFactory.getLog(TagClock.class);

    /** How many tags an instance keeps the eviction time of; a tag forgotten is fetched again. */
    public static final int DEFAULT_MAXIMUM_TAGS = 100_000;

    /** Added to the longest entry life for the life of a tag record in Redis. */
    static final long RECORD_MARGIN_MILLIS = TimeUnit.MINUTES.toMillis(1);

    private static final int RECENT = 50;

    /** How far ahead of this clock an announced eviction may be and still order this instance's as-of times. */
    private static final long MAX_AHEAD_MICROS = TimeUnit.SECONDS.toMicros(10);

    private final TagStore store;
    private final L1Guard guard;
    private final Clock clock;
    private final RetryBackoff retries;
    private final Executor executor;
    private final LogThrottle warnings = new LogThrottle(logger);
    private final Cache<String, Long> known;
    private final AtomicInteger epoch = new AtomicInteger();
    private final AtomicLong lastAsOf = new AtomicLong();
    private final AtomicLong lastEviction = new AtomicLong();
    private final Map<String, Long> owed = new ConcurrentHashMap<>();
    private final AtomicBoolean learning = new AtomicBoolean();
    private final Deque<Eviction> recent = new ArrayDeque<>();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder fetches = new LongAdder();
    // The longest life of an entry in Redis of any cache using this clock; Long.MAX_VALUE: one never expires.
    private final AtomicLong longestEntryMillis = new AtomicLong();
    private volatile InvalidationPublisher publisher = InvalidationPublisher.NONE;
    private volatile int guardEpoch;

    /**
     * One eviction of a tag, as shown by the endpoint.
     * @param tag the tag
     * @param cache the cache it was limited to, {@code null} for every cache
     * @param evictedAtMicros its eviction time, epoch microseconds
     * @param origin {@code "local"} (this instance) or {@code "remote"} (another instance's message)
     */
    public record Eviction(String tag, @Nullable String cache, long evictedAtMicros, String origin) {

        static Eviction of(String name, long evictedAtMicros, String origin) {
            int scope = name.lastIndexOf(EntryTags.SCOPE);
            return (scope < 0) ? new Eviction(name, null, evictedAtMicros, origin)
                    : new Eviction(name.substring(scope + 1), name.substring(0, scope), evictedAtMicros, origin);
        }
    }


    TagClock(TagStore store, L1Guard guard, Clock clock, Ticker ticker, Delays delays, Executor executor,
            int maximumTags) {
        this.store = store;
        this.guard = guard;
        this.clock = clock;
        this.retries = new RetryBackoff(delays, this::replay);
        this.executor = executor;
        this.guardEpoch = guard.epoch();
        this.known = Caffeine.newBuilder()
                .maximumSize(maximumTags)
                .ticker(ticker)
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Long>() {
                    @Override
                    public long expireAfterCreate(String tag, Long time, long now) {
                        return lifeOfKnowledge();
                    }

                    @Override
                    public long expireAfterUpdate(String tag, Long time, long now, long current) {
                        return lifeOfKnowledge();
                    }

                    @Override
                    public long expireAfterRead(String tag, Long time, long now, long current) {
                        return current;
                    }
                })
                .build();
    }

    /**
     * The clock of a manager.
     * @param redis the manager's Redis tier, {@code null} without Redis
     * @param keyPrefix the key prefix
     * @param guard the manager's L1 guard
     * @param clock wall-clock time
     * @param ticker monotonic time
     * @param delays the engine's timer, for retries
     * @param executor background work
     * @return the clock
     */
    public static TagClock of(@Nullable RedisTier redis, String keyPrefix, L1Guard guard, Clock clock, Ticker ticker,
            Delays delays, Executor executor) {
        return new TagClock((redis != null) ? TagStore.redis(redis, keyPrefix) : TagStore.NONE, guard, clock, ticker,
                delays, executor, DEFAULT_MAXIMUM_TAGS);
    }

    /** What is learned while the channel is degraded may miss an eviction: kept at most the degraded L1 TTL. */
    private long lifeOfKnowledge() {
        return (guard.isDegraded() || guard.isTrackingDegraded())
                ? TimeUnit.MILLISECONDS.toNanos(guard.degradedTtlMillis()) : Long.MAX_VALUE;
    }

    /**
     * Sets where this instance announces its evictions (the invalidation bus); the bus tells this
     * clock the evictions it receives.
     */
    void announceTo(InvalidationPublisher publisher) {
        this.publisher = publisher;
        publisher.register(this);
    }

    /**
     * A cache using this clock keeps entries in Redis at most this long: tag records must outlive them.
     * @param millis the longest life, {@code Long.MAX_VALUE} for entries without expiry
     */
    void coversEntriesOf(long millis) {
        longestEntryMillis.accumulateAndGet(millis, Math::max);
    }

    /** @return how long a tag record lives in Redis; 0: for ever (a cache keeps entries without expiry) */
    public long recordTtlMillis() {
        long longest = longestEntryMillis.get();
        return (longest == Long.MAX_VALUE || longest >= Long.MAX_VALUE - RECORD_MARGIN_MILLIS) ? 0
                : longest + RECORD_MARGIN_MILLIS;
    }

    // ---- as-of times ----------------------------------------------------------------------------

    /** @return the as-of time of an entry put or starting to load now, epoch microseconds */
    public long asOf() {
        long stamp = Math.max(micros(), lastEviction.get() + 1);
        lastAsOf.accumulateAndGet(stamp, Math::max);
        return stamp;
    }

    private long evictionTime() {
        long time = Math.max(micros(), lastAsOf.get());
        lastEviction.accumulateAndGet(time, Math::max);
        return time;
    }

    private long micros() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    // ---- evictions ------------------------------------------------------------------------------

    /**
     * Evicts tags: from now on no instance serves an entry carrying one of them that was written
     * before this call. Known here before it returns; one Redis command per tag and one message.
     * Null and blank tags are ignored with a warning; nothing is thrown when Redis fails (the
     * record is owed and retried).
     * @param tags the tags
     * @return the eviction time, epoch microseconds, or 0 when no tag was valid
     */
    public long evict(Collection<String> tags) {
        return evict(tags, List.of());
    }

    /**
     * Evicts tags in some caches only: from now on no instance serves an entry of one of these
     * caches carrying one of the tags that was written before this call; the other caches keep
     * theirs. Known here before it returns; one Redis command per (cache, tag) and one message.
     * @param tags the tags
     * @param cacheNames the caches, none for every cache (then as {@link #evict(Collection)});
     *        null and blank names are ignored with a warning
     * @return the eviction time, epoch microseconds, or 0 when no tag (or, given caches, no cache
     *         name) was valid
     */
    public long evict(Collection<String> tags, Collection<String> cacheNames) {
        Set<String> valid = new LinkedHashSet<>();
        for (String tag : tags) {
            try {
                EntryTags.check(tag);
                valid.add(tag);
            }
            catch (IllegalArgumentException ex) {
                warnings.warn("A tag eviction ignores a bad tag: " + ex.getMessage());
            }
        }
        Set<String> names = valid;
        if (!cacheNames.isEmpty() && !valid.isEmpty()) {
            names = new LinkedHashSet<>();
            for (String cacheName : cacheNames) {
                if (cacheName == null || cacheName.isBlank()) {
                    warnings.warn("A tag eviction ignores a null or blank cache name");
                    continue;
                }
                for (String tag : valid) {
                    names.add(EntryTags.scoped(cacheName, tag));
                }
            }
        }
        if (names.isEmpty()) {
            return 0;
        }
        long time = evictionTime();
        Map<String, Long> times = new LinkedHashMap<>();
        for (String name : names) {
            times.put(name, time);
            // Owed until Redis takes it, so that a fetch can never hide it meanwhile.
            owed.merge(name, time, Math::max);
            learn(name, time);
            remember(Eviction.of(name, time, "local"));
        }
        evictions.add(names.size());
        long ttl = recordTtlMillis();
        boolean allWritten = true;
        for (String name : names) {
            if (store.record(name, time, ttl)) {
                owed.remove(name, time);
            }
            else {
                allWritten = false;
            }
        }
        publisher.tagsEvicted(times);
        if (!allWritten) {
            retries.schedule();
        }
        return time;
    }

    /**
     * Evictions another instance announced.
     * @param times tag → eviction time, epoch microseconds
     */
    public void evicted(Map<String, Long> times) {
        long horizon = micros() + MAX_AHEAD_MICROS;
        times.forEach((tag, time) -> {
            if (tag != null && time != null && !tag.isBlank()) {
                learn(tag, time);
                // An as-of time taken from now on is later than this eviction, whatever the skew of the
                // clocks (within reason: a time far ahead is not followed).
                if (time < horizon) {
                    lastEviction.accumulateAndGet(time, Math::max);
                }
                remember(Eviction.of(tag, time, "remote"));
            }
        });
        received.add(times.size());
    }

    /** Writes the owed records; each written is announced again (the first message may have been lost). */
    private synchronized void replay() {
        long ttl = recordTtlMillis();
        Map<String, Long> paid = new LinkedHashMap<>();
        for (Map.Entry<String, Long> entry : owed.entrySet()) {
            if (!store.record(entry.getKey(), entry.getValue(), ttl)) {
                if (!paid.isEmpty()) {
                    publisher.tagsEvicted(paid);
                }
                retries.schedule();
                return;
            }
            owed.remove(entry.getKey(), entry.getValue());
            paid.put(entry.getKey(), entry.getValue());
        }
        if (!paid.isEmpty()) {
            publisher.tagsEvicted(paid);
        }
        retries.reset();
    }

    // ---- knowledge ------------------------------------------------------------------------------

    /** @return the epoch bumped each time a tag's known eviction time rises */
    public int epoch() {
        return epoch.get();
    }

    /** Learns a time, keeping the larger; bumps the epoch when it rose (or is new and not 0). */
    private void learn(String tag, long time) {
        boolean[] rose = new boolean[1];
        known.asMap().compute(tag, (key, old) -> {
            if (old == null || time > old) {
                rose[0] = time > 0 || old != null;
                return time;
            }
            return old;
        });
        if (rose[0]) {
            epoch.incrementAndGet();
        }
    }

    /** Drops the knowledge when the guard dropped L1: it may have missed an eviction. */
    private void checkGuard() {
        int current = guard.epoch();
        if (current != guardEpoch) {
            synchronized (this) {
                if (current != guardEpoch) {
                    guardEpoch = current;
                    known.invalidateAll();
                    epoch.incrementAndGet();
                }
            }
        }
    }

    /**
     * Whether a tagged L1 entry may be served: in the epoch it was last found valid, at once;
     * otherwise against the knowledge, without asking Redis (a tag not known is a miss).
     * @param entry a tagged entry
     * @param cacheName the name of the cache it is in
     * @return whether it may be served
     */
    public boolean servable(L1Entry entry, String cacheName) {
        int now = epoch.get();
        if (entry.tagEpoch() == now) {
            return true;
        }
        EntryTags tags = entry.tags();
        if (tags == null) {
            return true;
        }
        checkGuard();
        if (check(tags, cacheName, false) != Validity.VALID) {
            return false;
        }
        entry.validatedIn(now);
        return true;
    }

    /**
     * Whether an entry read from Redis (or about to enter L1) may be served. Tags not known here
     * are fetched from Redis, unless the calling thread must not block (a Redis I/O thread): then
     * they are learned in the background and the entry is a miss this time.
     * @param tags the entry's tags
     * @param cacheName the name of its cache
     * @return whether it is valid
     */
    boolean isValid(EntryTags tags, String cacheName) {
        checkGuard();
        boolean mayBlock = !(Thread.currentThread() instanceof FastThreadLocalThread);
        Validity validity = check(tags, cacheName, mayBlock);
        if (validity == Validity.UNKNOWN && !mayBlock) {
            learnLater(tags, cacheName);
        }
        return validity == Validity.VALID;
    }

    private enum Validity { VALID, EVICTED, UNKNOWN }

    private Validity check(EntryTags tags, String cacheName, boolean fetch) {
        if (tags.isUnservable()) {
            return Validity.EVICTED;
        }
        List<String> unknown = null;
        String[] scoped = tags.scopedTags(cacheName);
        for (int i = 0; i < tags.size(); i++) {
            // The tag evicted in every cache, then in this cache only.
            for (int scope = 0; scope < 2; scope++) {
                String name = (scope == 0) ? tags.tag(i) : scoped[i];
                Long time = known.getIfPresent(name);
                if (time == null) {
                    if (unknown == null) {
                        unknown = new ArrayList<>(2 * (tags.size() - i));
                    }
                    unknown.add(name);
                }
                else if (tags.asOfMicros() <= time) {
                    return Validity.EVICTED;
                }
            }
        }
        if (unknown == null) {
            return Validity.VALID;
        }
        if (!fetch) {
            return Validity.UNKNOWN;
        }
        Map<String, Long> fetched = fetch(unknown);
        if (fetched == null) {
            warnings.warn("The eviction time of tags " + unknown + " is unknown and Redis does not answer: "
                    + "entries carrying them are misses");
            return Validity.UNKNOWN;
        }
        for (String name : unknown) {
            if (tags.asOfMicros() <= fetched.getOrDefault(name, 0L)) {
                return Validity.EVICTED;
            }
        }
        return Validity.VALID;
    }

    /** Reads tags' times from Redis (merged with what this instance owes it) and learns them. */
    private @Nullable Map<String, Long> fetch(List<String> tags) {
        int before = guard.epoch();
        fetches.increment();
        Map<String, Long> fetched = store.fetch(tags);
        if (fetched == null) {
            return null;
        }
        Map<String, Long> times = new java.util.HashMap<>(fetched);
        for (String tag : tags) {
            Long mine = owed.get(tag);
            long time = Math.max(times.getOrDefault(tag, 0L), (mine != null) ? mine : 0L);
            times.put(tag, time);
            // Learned only when the guard kept its epoch meanwhile: a dropped knowledge is not refilled
            // by a read that started before the drop.
            if (guard.epoch() == before) {
                learn(tag, time);
            }
        }
        return times;
    }

    /**
     * Fetches at once (one {@code MGET}) the tags of several entries that this instance does not
     * know, so that checking each of them afterwards asks Redis nothing; does nothing on a thread
     * that must not block.
     * @param entries the entries' tags
     * @param cacheName the name of their cache
     */
    void learnUnknown(List<EntryTags> entries, String cacheName) {
        checkGuard();
        if (Thread.currentThread() instanceof FastThreadLocalThread) {
            return;
        }
        Set<String> unknown = new LinkedHashSet<>();
        for (EntryTags entry : entries) {
            addUnknown(entry, cacheName, unknown);
        }
        if (!unknown.isEmpty()) {
            fetch(List.copyOf(unknown));
        }
    }

    /** Adds the names this instance does not know that an entry of the cache is checked against. */
    private void addUnknown(EntryTags tags, String cacheName, Collection<String> into) {
        String[] scoped = tags.scopedTags(cacheName);
        for (int i = 0; i < tags.size(); i++) {
            if (known.getIfPresent(tags.tag(i)) == null) {
                into.add(tags.tag(i));
            }
            if (known.getIfPresent(scoped[i]) == null) {
                into.add(scoped[i]);
            }
        }
    }

    /**
     * Learns, in the background, the tags of an entry a thread that must not block could not check.
     * @param tags the entry's tags
     * @param cacheName the name of its cache
     */
    void learnLater(EntryTags tags, String cacheName) {
        if (!learning.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    List<String> unknown = new ArrayList<>();
                    addUnknown(tags, cacheName, unknown);
                    if (!unknown.isEmpty()) {
                        fetch(unknown);
                    }
                }
                finally {
                    learning.set(false);
                }
            });
        }
        catch (RejectedExecutionException ex) {
            learning.set(false);
        }
    }

    /**
     * The tags of an entry written now or loaded from {@code asOfMicros}: null, blank and too long tags
     * are left out with a warning (a tag eviction ignores them too, so none could ever evict it).
     * @param given the tags given by the application
     * @param asOfMicros the entry's as-of time
     * @return the tags, {@code null} for none; {@link EntryTags#unservable()} when there are too many
     */
    public @Nullable EntryTags entryTags(@Nullable Collection<String> given, long asOfMicros) {
        if (given == null || given.isEmpty()) {
            return null;
        }
        List<String> valid = new ArrayList<>(given.size());
        for (String tag : given) {
            try {
                EntryTags.check(tag);
                valid.add(tag);
            }
            catch (IllegalArgumentException ex) {
                warnings.warn("A tag of a cached value is ignored: " + ex.getMessage());
            }
        }
        try {
            return EntryTags.of(valid, asOfMicros);
        }
        catch (IllegalArgumentException ex) {
            warnings.warn("A cached value is not served from the cache: " + ex.getMessage());
            return EntryTags.unservable();
        }
    }

    // ---- introspection --------------------------------------------------------------------------

    /**
     * @param tag a tag
     * @return the eviction time this instance knows for it (epoch microseconds), or {@code null}
     */
    public @Nullable Long knownEviction(String tag) {
        checkGuard();
        return known.getIfPresent(tag);
    }

    /**
     * @param tag a tag
     * @param cacheName a cache
     * @return the time this instance knows the tag was evicted in that cache only (epoch
     *         microseconds), or {@code null}
     */
    public @Nullable Long knownEviction(String tag, String cacheName) {
        checkGuard();
        return known.getIfPresent(EntryTags.scoped(cacheName, tag));
    }

    /** @return the tags evicted by this instance, counted once per tag */
    public long evictions() {
        return evictions.sum();
    }

    /** @return the tag evictions received from other instances */
    public long evictionsReceived() {
        return received.sum();
    }

    /** @return the times tags were fetched from Redis */
    public long fetches() {
        return fetches.sum();
    }

    /** @return the tag records owed to Redis */
    public int owedRecords() {
        return owed.size();
    }

    /** @return the most recent evictions this instance made or heard of, newest first */
    public List<Eviction> recentEvictions() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    private void remember(Eviction eviction) {
        synchronized (recent) {
            recent.addFirst(eviction);
            while (recent.size() > RECENT) {
                recent.removeLast();
            }
        }
    }
}
