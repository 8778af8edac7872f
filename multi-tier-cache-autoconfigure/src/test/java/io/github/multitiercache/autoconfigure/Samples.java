package io.github.multitiercache.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Durations in nanoseconds recorded by a load driver, and their percentiles (nearest rank).
 * Adding is thread-safe.
 */
final class Samples {

    private long[] values = new long[1024];
    private int size;

    /** Records one duration. */
    synchronized void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = nanos;
    }

    /** Records every duration another recorder holds. */
    void addAll(Samples other) {
        long[] added;
        synchronized (other) {
            added = Arrays.copyOf(other.values, other.size);
        }
        for (long value : added) {
            add(value);
        }
    }

    /** @return the number of durations recorded */
    synchronized int size() {
        return size;
    }

    /** @return the count, p50, p99, p99.9 and maximum of what was recorded so far */
    Summary summary() {
        long[] sorted;
        synchronized (this) {
            sorted = Arrays.copyOf(values, size);
        }
        Arrays.sort(sorted);
        return new Summary(sorted.length, rank(sorted, 0.50), rank(sorted, 0.99), rank(sorted, 0.999),
                (sorted.length == 0) ? 0 : sorted[sorted.length - 1]);
    }

    private static long rank(long[] sorted, double fraction) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(fraction * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /** The host's load averages over 1, 5 and 15 minutes, as the kernel reports them. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        }
        catch (IOException | RuntimeException ex) {
            return "unknown";
        }
    }

    /**
     * Percentiles of recorded durations, in nanoseconds.
     * @param count how many were recorded
     * @param p50 the median
     * @param p99 the 99th percentile
     * @param p999 the 99.9th percentile
     * @param max the largest
     */
    record Summary(int count, long p50, long p99, long p999, long max) {

        /** @return p50/p99/p99.9/max in microseconds, for a report line */
        String micros() {
            return String.format("p50 %,8.0f  p99 %,8.0f  p99.9 %,8.0f  max %,8.0f µs", p50 / 1e3, p99 / 1e3,
                    p999 / 1e3, max / 1e3);
        }

        /** @return p50/p99/max in milliseconds, for a report line */
        String millis() {
            return String.format("p50 %7.2f  p99 %7.2f  max %8.1f ms", p50 / 1e6, p99 / 1e6, max / 1e6);
        }
    }
}
