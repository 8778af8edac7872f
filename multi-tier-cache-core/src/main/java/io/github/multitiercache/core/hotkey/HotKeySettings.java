package io.github.multitiercache.core.hotkey;

import java.time.Duration;
import java.util.Objects;

/**
 * How one cache finds its hot keys and what it does with them.
 *
 * @param enabled whether reads are counted and hot keys pinned, replicated and announced
 * @param window the sliding window over which reads are counted
 * @param minReadsPerSecond the read rate, in this instance, above which a key is hot
 * @param maxHotKeys the most keys reported hot at once (the hottest win)
 * @param sketchWidth counters per row of the sketch, a power of two; memory is
 *        {@code 2 × 4 × sketchWidth} ints whatever the number of keys
 * @param l1Ttl how long a hot key's value is kept in L1, even in a cache whose L1 is small or
 *        off (never longer than its remaining life in Redis); zero keeps hot keys in L1 no
 *        differently from other keys
 * @param replicas how many copies of a hot key's value are kept in Redis, on keys spread over the
 *        cluster's hash slots, and read instead of the key itself; zero turns replication off. Only
 *        used on a Redis Cluster
 */
public record HotKeySettings(boolean enabled, Duration window, double minReadsPerSecond, int maxHotKeys,
        int sketchWidth, Duration l1Ttl, int replicas) {

    /** The most replicas a hot key may have. */
    public static final int MAX_REPLICAS = 16;

    private static final HotKeySettings DEFAULTS = new HotKeySettings(true, Duration.ofSeconds(10), 500, 32, 4096,
            Duration.ofSeconds(5), 3);

    /**
     * Validates the settings.
     * @throws IllegalArgumentException naming the first invalid component
     */
    public HotKeySettings {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(l1Ttl, "l1Ttl");
        if (window.toMillis() < 100) {
            throw new IllegalArgumentException("hot-keys.window must be at least 100ms but was " + window);
        }
        if (!(minReadsPerSecond > 0) || Double.isInfinite(minReadsPerSecond)) {
            throw new IllegalArgumentException("hot-keys.min-reads-per-second must be positive but was "
                    + minReadsPerSecond);
        }
        if (maxHotKeys < 1 || maxHotKeys > 1024) {
            throw new IllegalArgumentException("hot-keys.max-hot-keys must be between 1 and 1024 but was " + maxHotKeys);
        }
        if (sketchWidth < 64 || sketchWidth > 65536 || Integer.bitCount(sketchWidth) != 1) {
            throw new IllegalArgumentException("hot-keys.sketch-width must be a power of two between 64 and 65536"
                    + " but was " + sketchWidth);
        }
        if (l1Ttl.isNegative()) {
            throw new IllegalArgumentException("hot-keys.l1-ttl must not be negative but was " + l1Ttl);
        }
        if (replicas < 0 || replicas > MAX_REPLICAS) {
            throw new IllegalArgumentException("hot-keys.replicas must be between 0 and " + MAX_REPLICAS + " but was "
                    + replicas);
        }
    }

    /**
     * Detection settings with the default pinning and replication.
     * @param window see {@link #window()}
     * @param minReadsPerSecond see {@link #minReadsPerSecond()}
     * @param maxHotKeys see {@link #maxHotKeys()}
     * @param sketchWidth see {@link #sketchWidth()}
     */
    public HotKeySettings(Duration window, double minReadsPerSecond, int maxHotKeys, int sketchWidth) {
        this(true, window, minReadsPerSecond, maxHotKeys, sketchWidth, DEFAULTS.l1Ttl, DEFAULTS.replicas);
    }

    /**
     * Defaults for a typical service: a key read more than 500 times a second over a 10-second
     * window is hot; at most 32 hot keys; a 4 × 4096 sketch (128 KiB per cache); hot keys kept in
     * L1 for 5 seconds and, on a cluster, read from 3 replicas.
     * @return the defaults
     */
    public static HotKeySettings defaults() {
        return DEFAULTS;
    }

    /**
     * The same settings with hot-key handling switched off.
     * @return settings with {@code enabled = false}
     */
    public HotKeySettings disabled() {
        return new HotKeySettings(false, window, minReadsPerSecond, maxHotKeys, sketchWidth, l1Ttl, replicas);
    }

    /** @return whether hot keys are kept in L1 beyond the cache's own L1 settings */
    public boolean pins() {
        return enabled && !l1Ttl.isZero();
    }

    /**
     * How often a cache reviews its hot keys (and tells the other instances about them): a tenth
     * of the window, between 100 ms and 1 s.
     * @return the review interval
     */
    public Duration reviewInterval() {
        return Duration.ofMillis(Math.max(100, Math.min(1000, window.toMillis() / 10)));
    }
}
