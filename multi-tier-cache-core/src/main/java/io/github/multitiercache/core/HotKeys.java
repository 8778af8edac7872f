package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.hotkey.HotKey;
import io.github.multitiercache.core.hotkey.HotKeyDetector;
import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.hotkey.HotKeyStatistics;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The hot keys of one cache: which keys are hot, here or (as announced) in other instances, and
 * when their replicas in Redis ({@link HotKeyReplicas}) may be read. With {@code hot-keys.enabled}
 * off it counts nothing and every key is cold.
 *
 * <p><b>Detection.</b> Every read is {@linkplain #recordRead(Object) counted} in a
 * {@link HotKeyDetector}. About every {@linkplain HotKeySettings#reviewInterval() review interval}
 * a read finds a review due, which runs on the executor: keys the detector reports become hot here,
 * keys it no longer reports cool down, newly hot keys get their replicas copied from the key itself,
 * and the other instances are told the keys hot here.
 *
 * <p><b>Announcements.</b> An announced key stays hot in the receiving instance for the
 * {@linkplain #announcementLeaseMillis() lease} unless announced again, so hot-key status cools down
 * by itself when traffic does.
 *
 * <p><b>Replicas.</b> Writes and deletes of a key hot here cover its replicas; an invalidation
 * received for a key hot here deletes them too, since its writer may not have known the key was
 * hot. A replica is read only after it was copied from the key (or announced by the instance that
 * copied it), and only while this instance has received every invalidation since its last copy (the
 * {@link L1Guard} epoch is unchanged).
 */
final class HotKeys {

    private static final Log logger = LogFactory.getLog(HotKeys.class);
    /** The most keys held hot at once: this instance's own plus those announced by others. */
    private static final int MAX_STATES_PER_HOT_KEY = 4;

    private final String cacheName;
    private final HotKeySettings settings;
    private final @Nullable HotKeyDetector detector;
    private final CacheKeyConverter keyConverter;
    private final FillGuard fills;
    private final HotKeyReplicas replicas;
    private final KeySpace keys;
    private final SafeCodec codec;
    private final ExpiryPolicy expiry;
    private final InvalidationPublisher publisher;
    private final Executor executor;
    private final LogThrottle warnings;
    private final LongSupplier nanoClock;
    private final long reviewNanos;
    private final ConcurrentMap<String, State> states = new ConcurrentHashMap<>();
    private final AtomicBoolean reviewing = new AtomicBoolean();
    private final HotKeyStatistics statistics = new HotKeyStatistics();
    private volatile long nextReviewNanos;
    private volatile int trustedEpoch;

    HotKeys(String cacheName, HotKeySettings settings, CacheKeyConverter keyConverter, FillGuard fills,
            HotKeyReplicas replicas, KeySpace keys, SafeCodec codec, ExpiryPolicy expiry,
            InvalidationPublisher publisher, Executor executor, LogThrottle warnings, LongSupplier nanoClock) {
        this.cacheName = cacheName;
        this.settings = settings;
        this.keyConverter = keyConverter;
        this.fills = fills;
        this.replicas = replicas;
        this.keys = keys;
        this.codec = codec;
        this.expiry = expiry;
        this.publisher = publisher;
        this.executor = executor;
        this.warnings = warnings;
        this.nanoClock = nanoClock;
        this.detector = settings.enabled() ? new HotKeyDetector(settings, nanoClock) : null;
        this.reviewNanos = settings.reviewInterval().toNanos();
        this.nextReviewNanos = nanoClock.getAsLong() + reviewNanos;
        this.trustedEpoch = fills.epoch();
    }

    /** @return whether hot-key handling is on for this cache */
    boolean enabled() {
        return detector != null;
    }

    HotKeyStatistics statistics() {
        return statistics;
    }

    HotKeyReplicas replicas() {
        return replicas;
    }

    // ---- the read path -----------------------------------------------------------------------

    /**
     * Counts one read, and starts a review in the background when one is due.
     * @param key the key read
     */
    void recordRead(Object key) {
        HotKeyDetector detector = this.detector;
        if (detector != null && detector.record(key) && nanoClock.getAsLong() - nextReviewNanos >= 0
                && reviewing.compareAndSet(false, true)) {
            try {
                executor.execute(this::runReview);
            }
            catch (RejectedExecutionException ex) {
                reviewing.set(false);
            }
        }
    }

    /**
     * Runs a review now if one is due and none is under way: for readers of the hot keys (the
     * endpoint, meters), so that what they see is current even when reads have not started one yet.
     */
    void reviewIfDue() {
        if (detector != null && nanoClock.getAsLong() - nextReviewNanos >= 0 && reviewing.compareAndSet(false, true)) {
            runReview();
        }
    }

    /**
     * Whether a key is hot in this instance, found here or announced by another.
     * @param keyText the key's text form
     * @return {@code true} for a hot key
     */
    boolean isHot(String keyText) {
        State state = states.get(keyText);
        return state != null && state.isHot(nanoClock.getAsLong());
    }

    /**
     * The replica a read of a key should go to.
     * @param keyText the key's text form
     * @return a replica key chosen at random, or {@code null} to read the key itself
     */
    byte @Nullable [] replicaToRead(String keyText) {
        if (!replicas.active() || states.isEmpty()) {
            return null;
        }
        State state = states.get(keyText);
        if (state == null || !state.replicated || !state.isHot(nanoClock.getAsLong())
                || trustedEpoch != fills.epoch()) {
            return null;
        }
        return replicas.random(keyText);
    }

    void onReplicaHit() {
        statistics.onReplicaHit();
    }

    /**
     * A replica read missed and the value was read from the key itself: copies it to that replica,
     * unless the key was invalidated since {@code ticket}.
     */
    void replicaMissed(byte[] replicaKey, CacheKey key, byte[] value, StoredEntry entry, long ticket) {
        statistics.onReplicaMiss();
        replicas.refill(replicaKey, value, expiry.physicalRemaining(entry), fills, key.text(), ticket);
    }

    // ---- the write path ----------------------------------------------------------------------

    /** A key's value was written to Redis: writes its replicas too when the key is hot here, and waits. */
    void written(String keyText, byte[] value, long ttlMillis) {
        HotKeyReplicas.await(writtenAsync(keyText, value, ttlMillis));
    }

    /** As {@link #written}, without waiting. */
    CompletableFuture<?> writtenAsync(String keyText, byte[] value, long ttlMillis) {
        return states.containsKey(keyText) ? replicas.writeAll(keyText, value, ttlMillis)
                : CompletableFuture.completedFuture(null);
    }

    /** A key was deleted from Redis: deletes its replicas too when the key is hot here, and waits. */
    void deleted(String keyText) {
        HotKeyReplicas.await(deletedAsync(keyText));
    }

    /**
     * Deletes the replicas of a key hot here without waiting: for invalidations received from other
     * instances, whose writer may not have known that the key was hot.
     */
    CompletableFuture<?> deletedAsync(String keyText) {
        return states.containsKey(keyText) ? replicas.deleteAll(keyText)
                : CompletableFuture.completedFuture(null);
    }

    // ---- reviews and announcements -----------------------------------------------------------

    /**
     * Reviews the hot keys (in the background, about once per review interval while reads come in):
     * copies the replicas of keys newly hot, and tells the other instances.
     */
    private void runReview() {
        Review review;
        try {
            review = review();
            for (String text : review.toCopy()) {
                copyToReplicas(text);
            }
        }
        catch (RuntimeException ex) {
            reviewing.set(false);
            warnings.warn("Cache '" + cacheName + "': reviewing hot keys failed: " + ex);
            return;
        }
        trustedEpoch = review.epoch();
        reviewing.set(false);
        if (!review.hotHere().isEmpty()) {
            publisher.hotKeys(cacheName, review.hotHere(), announcementLeaseMillis());
        }
    }

    /**
     * Copies a key's value from the key itself to every replica and marks them readable; deletes
     * them again if an invalidation happened meanwhile.
     */
    private void copyToReplicas(String text) {
        long ticket = fills.ticket(text);
        byte[] bytes = replicas.read(keys.redisKey(text));
        StoredEntry entry = codec.decodeNullable(text, bytes);
        State state = states.get(text);
        if (state == null) {
            return;
        }
        if (entry != null && bytes != null) {
            long ttl = expiry.physicalRemaining(entry);
            if (ttl > 0) {
                written(text, bytes, ttl);
            }
        }
        if (!fills.isCurrent(text, ticket)) {
            deleted(text);
            return;
        }
        state.replicated = true;
    }

    /**
     * Updates which keys are hot here from the detector, forgets announcements whose lease ran
     * out, and says which keys need their replicas (re)copied: the newly hot ones, or all of them
     * after this instance may have missed an invalidation.
     */
    private Review review() {
        long now = nanoClock.getAsLong();
        nextReviewNanos = now + reviewNanos;
        int epoch = fills.epoch();
        boolean distrusted = epoch != trustedEpoch;
        Map<String, Double> hotHere = detected();
        List<String> toCopy = new ArrayList<>();
        for (Map.Entry<String, Double> hot : hotHere.entrySet()) {
            String text = hot.getKey();
            State state = states.get(text);
            if (state == null) {
                if (states.size() >= MAX_STATES_PER_HOT_KEY * settings.maxHotKeys()) {
                    continue;
                }
                state = states.computeIfAbsent(text, t -> new State());
            }
            state.readsPerSecond = hot.getValue();
            if (!state.local) {
                state.local = true;
                statistics.onPromotion();
                if (logger.isInfoEnabled()) {
                    logger.info("Cache '" + cacheName + "': key '" + text + "' is hot (about "
                            + Math.round(hot.getValue()) + " reads/s here)"
                            + (replicas.active() ? "; reading it from " + replicas.count() + " replicas" : ""));
                }
            }
            if (replicas.active() && (!state.replicated || distrusted)) {
                toCopy.add(text);
            }
        }
        states.forEach((text, state) -> {
            coolDownUnlessIn(hotHere, text, state);
            if (!state.isHot(now)) {
                states.remove(text, state);
            }
            else if (distrusted && replicas.active() && !state.local) {
                toCopy.add(text);
            }
        });
        return new Review(epoch, List.copyOf(hotHere.keySet()), toCopy);
    }

    /** The keys the detector finds hot, by text form, with their read rates. */
    private Map<String, Double> detected() {
        Map<String, Double> hot = new LinkedHashMap<>();
        HotKeyDetector detector = this.detector;
        if (detector == null) {
            return hot;
        }
        for (HotKey key : detector.hotKeys()) {
            try {
                hot.put(keyConverter.convert(key.key()), key.readsPerSecond());
            }
            catch (RuntimeException ex) {
                // A key without a stable text form is never in Redis, so never replicated or announced.
            }
        }
        return hot;
    }

    private void coolDownUnlessIn(Map<String, Double> hotHere, String text, State state) {
        if (state.local && !hotHere.containsKey(text)) {
            state.local = false;
            state.readsPerSecond = 0;
            statistics.onCooldown();
        }
    }

    /** Redis was unavailable: replicas may have missed deletes, and are re-copied before being read again. */
    void distrust() {
        trustedEpoch = fills.epoch() - 1;
    }

    /** @return how long an announced key stays hot in the instances that received it */
    long announcementLeaseMillis() {
        return 3 * reviewNanos / 1_000_000;
    }

    /**
     * Another instance announced its hot keys of this cache.
     * @param keyTexts the keys' text forms
     * @param leaseMillis how long they stay hot here unless announced again
     */
    void announced(Collection<String> keyTexts, long leaseMillis) {
        if (detector == null) {
            return;
        }
        long until = nanoClock.getAsLong() + Math.max(0, Math.min(leaseMillis, 60_000)) * 1_000_000;
        for (String text : keyTexts) {
            State state = states.get(text);
            if (state == null) {
                if (states.size() >= MAX_STATES_PER_HOT_KEY * settings.maxHotKeys()) {
                    statistics.onAnnouncementIgnored();
                    continue;
                }
                state = states.computeIfAbsent(text, t -> new State());
                // The announcing instance copied the replicas before it announced the key.
                state.replicated = true;
            }
            if (!state.isAnnounced(until)) {
                state.announcedUntilNanos = until;
            }
        }
    }

    /**
     * The keys hot in this instance, found here or announced, hottest first.
     * @return a snapshot
     */
    List<HotKeyStatus> snapshot() {
        long now = nanoClock.getAsLong();
        // Reviews run on reads: without reads, keys cool down here.
        Map<String, Double> hotHere = detected();
        List<HotKeyStatus> snapshot = new ArrayList<>();
        states.forEach((text, state) -> {
            coolDownUnlessIn(hotHere, text, state);
            Double rate = hotHere.get(text);
            if (rate != null && state.local) {
                state.readsPerSecond = rate;
            }
            if (state.isHot(now)) {
                snapshot.add(new HotKeyStatus(text, state.readsPerSecond, state.local, state.isAnnounced(now),
                        replicas.active() && state.replicated));
            }
        });
        snapshot.sort(Comparator.comparingDouble(HotKeyStatus::readsPerSecond).reversed()
                .thenComparing(HotKeyStatus::key));
        return snapshot;
    }

    /**
     * The number of keys hot in this instance, counted as {@link #snapshot()} would list them but as of
     * the last review: without asking the detector, so that it is cheap enough for every scrape of a
     * gauge.
     * @param local {@code true} for the keys found hot here, {@code false} for those hot here only
     *        because another instance announced them
     * @return the count
     */
    int count(boolean local) {
        long now = nanoClock.getAsLong();
        int count = 0;
        for (State state : states.values()) {
            if (local ? state.local : (!state.local && state.isAnnounced(now))) {
                count++;
            }
        }
        return count;
    }

    /**
     * The outcome of a review.
     * @param epoch the guard's epoch when it started
     * @param hotHere the keys found hot in this instance, to announce
     * @param toCopy the keys whose replicas are to be copied from the key
     */
    private record Review(int epoch, List<String> hotHere, List<String> toCopy) {
    }

    private static final class State {

        volatile boolean local;
        volatile double readsPerSecond;
        volatile long announcedUntilNanos = Long.MIN_VALUE;
        volatile boolean replicated;

        boolean isHot(long now) {
            return local || isAnnounced(now);
        }

        /** Whether an announcement's lease runs at {@code now}. */
        boolean isAnnounced(long now) {
            long until = announcedUntilNanos;
            return until != Long.MIN_VALUE && now - until < 0;
        }
    }
}
