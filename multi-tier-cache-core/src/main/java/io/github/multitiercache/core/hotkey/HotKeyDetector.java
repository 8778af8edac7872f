package io.github.multitiercache.core.hotkey;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Finds the keys that take a large share of one instance's reads, in constant memory.
 *
 * <p>Reads are counted in two count-min sketches, one for the current window and one for the
 * previous, which together approximate a sliding window: a key's count is the current window's plus
 * the previous window's weighted by the part of it still inside the sliding window. A key whose
 * count reaches {@code minReadsPerSecond × window} becomes a candidate; at most
 * {@code 2 × maxHotKeys} candidates are kept, the coldest dropped first, and at each window change a
 * candidate whose previous window fell below half the threshold cools down and is dropped.
 *
 * <p>{@link #record(Object)} is meant for every read. With a threshold of at least 2,000 reads per
 * window (the default is 5,000), only one read in 2, 4, 8 or 16, chosen at random, is counted, so
 * that a key at the threshold still has at least 1,000 counted reads per window; the counts (and
 * rates) are scaled back. A read that is not counted costs one random number; a counted one a hash,
 * four counter reads and at most four writes, a clock read one time in 16 (chosen at random, so that
 * no counter shared by the reading threads is written for it), and a map lookup for keys over the
 * threshold only (one in sixteen of their counted reads, fewer for high thresholds); a key joins the
 * candidates only if it is counted above the coldest candidate once they are full. Memory is
 * {@code 2 × 4 × sketchWidth} ints plus the candidates, whatever the number of distinct keys.
 *
 * <p>Thread-safe; counts are approximate under contention (an increment may be lost), never
 * under-estimated otherwise.
 */
public final class HotKeyDetector {

    private static final int MAX_SAMPLE_SHIFT = 4;
    private static final double MIN_SAMPLES_AT_THRESHOLD = 1_000;

    private final HotKeySettings settings;
    private final LongSupplier nanoClock;
    private final long windowNanos;
    private final int threshold;
    // Reads are counted one in 2^sampleShift, chosen at random (see the constructor).
    private final int sampleShift;
    private final int sampleMask;
    private final Map<Object, Long> candidates = new ConcurrentHashMap<>();
    private final Object rotation = new Object();
    private final Object admission = new Object();
    private final int admissionMask;
    // Raised when the candidates are full, reset at each window change.
    private volatile int admissionFloor;
    private volatile FrequencySketch current;
    private volatile FrequencySketch previous;
    private volatile long windowStartNanos;

    /**
     * Creates a detector.
     * @param settings what counts as hot
     * @param nanoClock monotonic time, {@code System::nanoTime} outside tests
     */
    public HotKeyDetector(HotKeySettings settings, LongSupplier nanoClock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.windowNanos = settings.window().toNanos();
        double readsAtThreshold = settings.minReadsPerSecond() * settings.window().toNanos() / 1e9;
        // Count one read in 2, 4, 8 or 16 when a hot key has at least 1,000 counted reads per window
        // even so: the count of a key at the threshold is then off by about 3 % (one standard deviation)
        // at most, and a read that is not counted costs one random number.
        this.sampleShift = (int) Math.max(0, Math.min(MAX_SAMPLE_SHIFT,
                Math.floor(Math.log(readsAtThreshold / MIN_SAMPLES_AT_THRESHOLD) / Math.log(2))));
        this.sampleMask = (1 << sampleShift) - 1;
        this.threshold = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(readsAtThreshold / (1 << sampleShift))));
        // A key over the threshold is offered as a candidate every 16th read, or less often for high
        // thresholds: at most 1/16 of the threshold late.
        this.admissionMask = Math.max(15, Integer.highestOneBit(Math.max(1, threshold / 16)) - 1);
        this.current = new FrequencySketch(settings.sketchWidth());
        this.previous = new FrequencySketch(settings.sketchWidth());
        this.windowStartNanos = nanoClock.getAsLong();
    }

    /** @return the settings */
    public HotKeySettings settings() {
        return settings;
    }

    /**
     * Counts one read of a key.
     * @param key the cache key
     * @return {@code true} on the calls (one in 16 counted ones) that also looked at the clock, a
     *         cue for the caller's own periodic work
     */
    public boolean record(Object key) {
        int random = ThreadLocalRandom.current().nextInt();
        if ((random & sampleMask) != 0) {
            return false;
        }
        boolean tick = ((random >>> 8) & 15) == 0;
        if (tick) {
            maybeRotate(nanoClock.getAsLong());
        }
        long hash = spread(key.hashCode());
        int count = current.increment(hash);
        if (count >= threshold && (count & admissionMask) == 0 && count > admissionFloor
                && !candidates.containsKey(key)) {
            admit(key, hash);
        }
        return tick;
    }

    /**
     * Takes a key over the threshold as a candidate. When the candidates are full, the coldest is
     * dropped, and the next key must be counted above it to be taken: with many keys over the
     * threshold, they no longer displace one another at every read.
     */
    private void admit(Object key, long hash) {
        synchronized (admission) {
            candidates.put(key, hash);
            if (candidates.size() > 2 * settings.maxHotKeys()) {
                admissionFloor = dropColdest();
            }
        }
    }

    /**
     * Whether a key is currently hot.
     * @param key the cache key
     * @return {@code true} for a hot key
     */
    public boolean isHot(Object key) {
        return candidates.containsKey(key) && estimate(spread(key.hashCode()), nanoClock.getAsLong()) >= threshold;
    }

    /**
     * The hot keys, hottest first, at most {@code maxHotKeys}.
     * @return a snapshot with estimated read rates
     */
    public List<HotKey> hotKeys() {
        long now = nanoClock.getAsLong();
        maybeRotate(now);
        double seconds = windowNanos / 1e9 / (1 << sampleShift);
        List<HotKey> hot = new ArrayList<>();
        candidates.forEach((key, hash) -> {
            double count = estimate(hash, now);
            if (count >= threshold) {
                hot.add(new HotKey(key, count / seconds));
            }
        });
        hot.sort(Comparator.comparingDouble(HotKey::readsPerSecond).reversed());
        return (hot.size() > settings.maxHotKeys()) ? List.copyOf(hot.subList(0, settings.maxHotKeys())) : hot;
    }

    /** @return the number of keys tracked as candidates (bounded by twice the maximum hot keys) */
    public int candidateCount() {
        return candidates.size();
    }

    /** @return the number of counters held, constant for the detector's life */
    public int counterCount() {
        return current.size() + previous.size();
    }

    private double estimate(long hash, long now) {
        double elapsed = Math.min(1.0, (double) (now - windowStartNanos) / windowNanos);
        return current.estimate(hash) + (1.0 - elapsed) * previous.estimate(hash);
    }

    private void maybeRotate(long now) {
        if (now - windowStartNanos < windowNanos) {
            return;
        }
        synchronized (rotation) {
            long passed = now - windowStartNanos;
            if (passed < windowNanos) {
                return;
            }
            FrequencySketch finished = current;
            FrequencySketch reused = previous;
            reused.clear();
            if (passed >= 2 * windowNanos) {
                // Idle for more than a window: nothing of the finished window is recent either.
                finished.clear();
            }
            previous = finished;
            current = reused;
            windowStartNanos = now;
            candidates.entrySet().removeIf(entry -> finished.estimate(entry.getValue()) < threshold / 2);
            admissionFloor = 0;
        }
    }

    /** Drops the coldest candidate; returns the count of the coldest one left. */
    private int dropColdest() {
        long now = nanoClock.getAsLong();
        Object coldest = null;
        double lowest = Double.MAX_VALUE;
        double secondLowest = Double.MAX_VALUE;
        for (Map.Entry<Object, Long> entry : candidates.entrySet()) {
            double count = estimate(entry.getValue(), now);
            if (count < lowest) {
                secondLowest = lowest;
                lowest = count;
                coldest = entry.getKey();
            }
            else if (count < secondLowest) {
                secondLowest = count;
            }
        }
        if (coldest != null) {
            candidates.remove(coldest);
        }
        return (secondLowest == Double.MAX_VALUE) ? 0 : (int) Math.min(Integer.MAX_VALUE, secondLowest);
    }

    /** Spreads a 32-bit hash over 64 bits, so that each sketch row gets independent bits. */
    static long spread(int hashCode) {
        long h = hashCode * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 32);
    }
}
