package io.github.multitiercache.benchmarks;

import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache.ValueWrapper;

/** Sanity checks that make a benchmark fail instead of measuring something else than it claims. */
final class Checks {

    private Checks() {
    }

    static void hit(@Nullable ValueWrapper wrapper, Object key) {
        if (wrapper == null || wrapper.get() == null) {
            throw new IllegalStateException("Expected a hit for key " + key + " but got " + wrapper);
        }
    }

    static void notNull(@Nullable Object value, String what) {
        if (value == null) {
            throw new IllegalStateException("Expected " + what + " but got null");
        }
    }

    static void check(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("Expected " + what + ": the benchmark would not measure what it claims");
        }
    }

    static void zero(long count, String what) {
        if (count != 0) {
            throw new IllegalStateException(count + " " + what + ": the benchmark did not measure what it claims");
        }
    }
}
