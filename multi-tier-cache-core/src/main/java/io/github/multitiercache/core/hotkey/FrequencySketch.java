package io.github.multitiercache.core.hotkey;

/**
 * A count-min sketch of four rows with conservative update: counts never under-estimate, and
 * over-estimate only through collisions, which conservative update keeps small.
 *
 * <p>Not synchronized: concurrent increments may occasionally be lost, which only makes a count
 * slightly lower; reads and writes of {@code int} elements never tear.
 */
final class FrequencySketch {

    private static final int DEPTH = 4;

    private final int[] counters;
    private final int mask;
    private final int width;

    FrequencySketch(int width) {
        this.width = width;
        this.mask = width - 1;
        this.counters = new int[DEPTH * width];
    }

    /** Adds one occurrence and returns the new estimate. */
    int increment(long hash) {
        int i0 = index(hash, 0);
        int i1 = index(hash, 1);
        int i2 = index(hash, 2);
        int i3 = index(hash, 3);
        int min = Math.min(Math.min(counters[i0], counters[i1]), Math.min(counters[i2], counters[i3]));
        if (min == Integer.MAX_VALUE) {
            return min;
        }
        int next = min + 1;
        // Conservative update: raise only the counters at the minimum.
        if (counters[i0] == min) counters[i0] = next;
        if (counters[i1] == min) counters[i1] = next;
        if (counters[i2] == min) counters[i2] = next;
        if (counters[i3] == min) counters[i3] = next;
        return next;
    }

    int estimate(long hash) {
        return Math.min(Math.min(counters[index(hash, 0)], counters[index(hash, 1)]),
                Math.min(counters[index(hash, 2)], counters[index(hash, 3)]));
    }

    void clear() {
        java.util.Arrays.fill(counters, 0);
    }

    int size() {
        return counters.length;
    }

    private int index(long hash, int row) {
        return row * width + ((int) (hash >>> (row * 16)) & mask);
    }
}
