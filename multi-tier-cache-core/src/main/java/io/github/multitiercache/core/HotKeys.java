package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.hotkey.HotKey;
import io.github.multitiercache.core.hotkey.HotKeyDetector;
import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.hotkey.HotKeyStatistics;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import io.github.multitiercache.core.hotkey.ReplicaTags;
import io.github.multitiercache.core.redis.RedisTier;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The hot keys of one cache: which keys are hot, here or (as announced) in other instances, and
 * their replicas in Redis.
 *
 * <p><b>Detection.</b> Every read is {@linkplain #record(Object) counted} in a
 * {@link HotKeyDetector}. About every {@linkplain HotKeySettings#reviewInterval() review interval}
 * a read finds a {@linkplain #review() review} due, which the cache runs in the background: keys the
 * detector reports become hot here, keys it no longer reports cool down.
 *
 * <p><b>Announcements.</b> The cache tells the other instances its hot keys after each review; an
 * announced key stays hot in the receiving instance for the {@linkplain #announcementLeaseMillis()
 * lease} unless announced again, so hot-key status cools down by itself when traffic does.
 *
 * <p><b>Replicas.</b> On a Redis Cluster, with {@code replicas > 0}, a hot key's value is also kept
 * under {@code replicas} keys {@code <prefix>:<cache>%hot{<tag>}:<key>} whose hash tags
 * ({@link ReplicaTags}) spread them over the slot space, and reads pick one at random. Writes and
 * deletes of a key hot here cover its replicas; an invalidation received for a key hot here deletes
 * them too, since its writer may not have known the key was hot. A replica is read only after it was
 * copied from the key (or announced by the instance that copied it), and only while this instance
 * has received every invalidation since its last copy (the {@link L1Guard} epoch is unchanged).
 */
final class HotKeys {

    private static final Log logger = LogFactory.getLog(HotKeys.class);
    /** The most keys held hot at once: this instance's own plus those announced by others. */
    private static final int MAX_STATES_PER_HOT_KEY = 4;

    private final String cacheName;
    private final HotKeySettings settings;
    private final HotKeyDetector detector;
    private final CacheKeyConverter keyConverter;
    private final L1Guard guard;
    private final LongSupplier nanoClock;
    private final @Nullable RedisTier redis;
    private final byte[][] replicaPrefixes;
    private final long reviewNanos;
    private final ConcurrentMap<String, State> states = new ConcurrentHashMap<>();
    private final AtomicBoolean reviewing = new AtomicBoolean();
    private final HotKeyStatistics statistics = new HotKeyStatistics();
    private volatile long nextReviewNanos;
    private volatile int trustedEpoch;

    /**
     * Creates the hot keys of a cache.
     * @param cacheName the cache
     * @param settings the cache's hot-key settings, enabled
     * @param context the cache's context
     * @param redis the cache's Redis tier, or {@code null} without L2
     * @param replicaNamespace the start of every replica key, {@code <prefix>:<cache>%hot}
     */
    HotKeys(String cacheName, HotKeySettings settings, TieredCacheContext context, @Nullable RedisTier redis,
            String replicaNamespace) {
        this.cacheName = cacheName;
        this.settings = settings;
        this.keyConverter = context.keyConverter();
        this.guard = context.l1Guard();
        this.nanoClock = context.ticker()::read;
        this.detector = new HotKeyDetector(settings, nanoClock);
        this.reviewNanos = settings.reviewInterval().toNanos();
        this.nextReviewNanos = nanoClock.getAsLong() + reviewNanos;
        this.trustedEpoch = guard.epoch();
        boolean replicate = redis != null && settings.replicas() > 0 && redis.isCluster();
        if (replicate && replicaNamespace.indexOf('{') >= 0) {
            logger.warn("Cache '" + cacheName + "': hot keys are not replicated, the key prefix or cache name holds"
                    + " a hash tag ('{'), which would place every replica in one slot");
            replicate = false;
        }
        this.redis = replicate ? redis : null;
        if (replicate) {
            String[] tags = ReplicaTags.of(settings.replicas());
            this.replicaPrefixes = new byte[tags.length][];
            for (int i = 0; i < tags.length; i++) {
                replicaPrefixes[i] = (replicaNamespace + "{" + tags[i] + "}:").getBytes(StandardCharsets.UTF_8);
            }
        }
        else {
            this.replicaPrefixes = new byte[0][];
        }
    }

    HotKeySettings settings() {
        return settings;
    }

    HotKeyStatistics statistics() {
        return statistics;
    }

    /** @return whether hot keys get replicas in Redis (a cluster, and {@code replicas > 0}) */
    boolean replicates() {
        return redis != null;
    }

    // ---- the read path -----------------------------------------------------------------------

    /**
     * Counts one read.
     * @param key the key read
     * @return {@code true} when the caller should now run {@link #review()} in the background
     */
    boolean record(Object key) {
        return detector.record(key) && nanoClock.getAsLong() - nextReviewNanos >= 0
                && reviewing.compareAndSet(false, true);
    }

    /**
     * Starts a review now if one is due and none is under way: for readers of the hot keys (the
     * endpoint, meters), so that what they see is current even when reads have not started one yet.
     * @return {@code true} when the caller should run {@link #review()} now
     */
    boolean startReviewIfDue() {
        return nanoClock.getAsLong() - nextReviewNanos >= 0 && reviewing.compareAndSet(false, true);
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
        if (redis == null || states.isEmpty()) {
            return null;
        }
        State state = states.get(keyText);
        if (state == null || !state.replicated || !state.isHot(nanoClock.getAsLong()) || trustedEpoch != guard.epoch()) {
            return null;
        }
        return replicaKey(ThreadLocalRandom.current().nextInt(replicaPrefixes.length), keyText);
    }

    void onReplicaHit() {
        statistics.onReplicaHit();
    }

    /**
     * A replica read missed and the value was read from the key itself: copies it to that replica,
     * unless an invalidation happened meanwhile.
     */
    void refill(byte[] replicaKey, byte[] value, long ttlMillis, LongSupplier ticket, long expectedTicket) {
        statistics.onReplicaMiss();
        RedisTier redis = this.redis;
        if (redis == null || ttlMillis <= 0) {
            return;
        }
        redis.setAsync(replicaKey, value, ttlMillis).thenRun(() -> {
            if (ticket.getAsLong() != expectedTicket) {
                redis.deleteAsync(replicaKey);
            }
        });
    }

    // ---- the write path ----------------------------------------------------------------------

    /**
     * A key's value was written to Redis: writes it to the key's replicas when the key is hot here,
     * and waits for them.
     * @param keyText the key's text form
     * @param value the encoded value, as written to the key
     * @param ttlMillis the key's TTL
     */
    void written(String keyText, byte[] value, long ttlMillis) {
        await(writtenAsync(keyText, value, ttlMillis));
    }

    CompletableFuture<?> writtenAsync(String keyText, byte[] value, long ttlMillis) {
        RedisTier redis = this.redis;
        if (redis == null || !states.containsKey(keyText)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?>[] writes = new CompletableFuture<?>[replicaPrefixes.length];
        for (int i = 0; i < writes.length; i++) {
            writes[i] = redis.setAsync(replicaKey(i, keyText), value, ttlMillis);
        }
        return CompletableFuture.allOf(writes);
    }

    /**
     * A key was deleted from Redis (or its value there replaced without writing the replicas):
     * deletes the key's replicas when it is hot here, and waits for them.
     * @param keyText the key's text form
     */
    void deleted(String keyText) {
        await(deletedAsync(keyText));
    }

    /**
     * Waits for replica writes, each bounded by the command timeout; never on an I/O event-loop
     * thread (a write from a reactive pipeline), whose replies it would itself have to deliver.
     */
    private static void await(CompletableFuture<?> done) {
        if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
            done.join();
        }
    }

    /**
     * Deletes the replicas of a key hot here without waiting: for invalidations received from
     * other instances, whose writer may not have known that the key was hot.
     * @param keyText the key's text form
     * @return the deletes under way
     */
    CompletableFuture<?> deletedAsync(String keyText) {
        RedisTier redis = this.redis;
        if (redis == null || !states.containsKey(keyText)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?>[] deletes = new CompletableFuture<?>[replicaPrefixes.length];
        for (int i = 0; i < deletes.length; i++) {
            deletes[i] = redis.deleteAsync(replicaKey(i, keyText));
        }
        return CompletableFuture.allOf(deletes);
    }

    /**
     * Writes a value copied from the key itself to every replica and marks them readable; deletes
     * them again if an invalidation happened meanwhile.
     * @param keyText the key's text form
     * @param value the encoded value read from the key, or {@code null} when the key is absent
     * @param ttlMillis its remaining TTL
     * @param ticket the cache's current fill ticket
     * @param expectedTicket the ticket taken before the key was read
     */
    void copied(String keyText, byte @Nullable [] value, long ttlMillis, LongSupplier ticket, long expectedTicket) {
        State state = states.get(keyText);
        if (state == null || redis == null) {
            return;
        }
        if (value != null && ttlMillis > 0) {
            written(keyText, value, ttlMillis);
        }
        if (ticket.getAsLong() != expectedTicket) {
            deleted(keyText);
            return;
        }
        state.replicated = true;
    }

    // ---- reviews and announcements -----------------------------------------------------------

    /**
     * Updates which keys are hot here from the detector, forgets announcements whose lease ran
     * out, and says which keys need their replicas (re)copied: the newly hot ones, or all of them
     * after this instance may have missed an invalidation.
     * @return the outcome; call {@link #reviewed(Review)} once the copies are done
     */
    Review review() {
        long now = nanoClock.getAsLong();
        nextReviewNanos = now + reviewNanos;
        int epoch = guard.epoch();
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
                            + (redis != null ? "; reading it from " + replicaPrefixes.length + " replicas" : ""));
                }
            }
            if (redis != null && (!state.replicated || distrusted)) {
                toCopy.add(text);
            }
        }
        states.forEach((text, state) -> {
            coolDownUnlessIn(hotHere, text, state);
            if (!state.isHot(now)) {
                states.remove(text, state);
            }
            else if (distrusted && redis != null && !state.local) {
                toCopy.add(text);
            }
        });
        return new Review(epoch, List.copyOf(hotHere.keySet()), toCopy);
    }

    /** The keys the detector finds hot, by text form, with their read rates. */
    private Map<String, Double> detected() {
        Map<String, Double> hot = new LinkedHashMap<>();
        for (HotKey key : detector.hotKeys()) {
            try {
                hot.put(keyConverter.convert(key.key()), key.readsPerSecond());
            }
            catch (RuntimeException ex) {
                // A key without a stable text form is never cached, so never replicated or announced.
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

    /**
     * Ends a review: replicas copied under {@code review}'s epoch may be read.
     * @param review the review
     */
    void reviewed(Review review) {
        trustedEpoch = review.epoch();
        reviewing.set(false);
    }

    /** Ends a review that failed, so that the next one can run. */
    void reviewFailed() {
        reviewing.set(false);
    }

    /** Redis was unavailable: replicas may have missed deletes, and are re-copied before being read again. */
    void distrust() {
        trustedEpoch = guard.epoch() - 1;
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
                        redis != null && state.replicated));
            }
        });
        snapshot.sort(Comparator.comparingDouble(HotKeyStatus::readsPerSecond).reversed()
                .thenComparing(HotKeyStatus::key));
        return snapshot;
    }

    /**
     * The number of keys hot in this instance, counted as {@link #snapshot()} would list them but as of
     * the last review: without asking the detector, so that it is cheap enough for every scrape of a
     * gauge. A key found hot here that the detector stopped reporting since is counted until the next
     * review (or snapshot) cools it down.
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
     * The Redis key of one replica.
     * @param index the replica, from 0
     * @param keyText the key's text form
     * @return {@code <prefix>:<cache>%hot{<tag>}:<key>}
     */
    byte[] replicaKey(int index, String keyText) {
        byte[] prefix = replicaPrefixes[index];
        byte[] key = keyText.getBytes(StandardCharsets.UTF_8);
        byte[] full = new byte[prefix.length + key.length];
        System.arraycopy(prefix, 0, full, 0, prefix.length);
        System.arraycopy(key, 0, full, prefix.length, key.length);
        return full;
    }

    /** @return the number of replicas each hot key has in Redis, 0 when not replicating */
    int replicaCount() {
        return replicaPrefixes.length;
    }

    /**
     * The outcome of a review.
     * @param epoch the guard's epoch when it started
     * @param hotHere the keys found hot in this instance, to announce
     * @param toCopy the keys whose replicas are to be copied from the key
     */
    record Review(int epoch, List<String> hotHere, List<String> toCopy) {
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
