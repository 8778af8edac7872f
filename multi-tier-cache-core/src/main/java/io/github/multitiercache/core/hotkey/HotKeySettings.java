package io.github.multitiercache.core.hotkey;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link HotKeyDetector} decides that a key is hot.
 *
 * @param window the sliding window over which reads are counted
 * @param minReadsPerSecond the read rate, in this instance, above which a key is hot
 * @param maxHotKeys the most keys reported hot at once (the hottest win)
 * @param sketchWidth counters per row of the sketch, a power of two; memory is
 *        {@code 2 × 4 × sketchWidth} ints whatever the number of keys
 */
public record HotKeySettings(Duration window, double minReadsPerSecond, int maxHotKeys, int sketchWidth) {

    /** Validates the settings. */
    public HotKeySettings {
        Objects.requireNonNull(window, "window");
        if (window.toMillis() < 100) {
            throw new IllegalArgumentException("hot-keys.window must be at least 100ms but was " + window);
        }
        if (!(minReadsPerSecond > 0)) {
            throw new IllegalArgumentException("hot-keys.min-reads-per-second must be positive but was "
                    + minReadsPerSecond);
        }
        if (maxHotKeys < 1) {
            throw new IllegalArgumentException("hot-keys.max-hot-keys must be positive but was " + maxHotKeys);
        }
        if (sketchWidth < 64 || sketchWidth > 65536 || Integer.bitCount(sketchWidth) != 1) {
            throw new IllegalArgumentException("hot-keys.sketch-width must be a power of two between 64 and 65536"
                    + " but was " + sketchWidth);
        }
    }

    /**
     * Defaults for a typical service: a key read more than 500 times a second over a 10-second
     * window is hot; at most 32 hot keys; a 4 × 4096 sketch (128 KiB per cache).
     * @return the defaults
     */
    public static HotKeySettings defaults() {
        return new HotKeySettings(Duration.ofSeconds(10), 500, 32, 4096);
    }
}
