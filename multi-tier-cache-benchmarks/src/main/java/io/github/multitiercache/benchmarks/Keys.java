package io.github.multitiercache.benchmarks;

import java.util.Arrays;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * A thread's walk over {@value #COUNT} warm keys, boxed in advance so that no benchmark measures
 * boxing. The keys are outside the {@code Long} cache, as most ids are.
 *
 * <p>Caches are filled with {@value #FILL} entries ({@link #fill()}, the looked-up keys among them):
 * 80 % of the 10,000-entry bound every in-process cache here has. A cache filled to at least half
 * its bound is what a warm production cache looks like, and it matters: below half, Caffeine skips
 * recording reads altogether (its frequency sketch is not yet built), which would make a bounded
 * cache look cheaper than it will be in service.
 */
@State(Scope.Thread)
public class Keys {

    /** The number of keys looked up, a power of two. */
    public static final int COUNT = 1024;

    /** The number of entries every cache is filled with. */
    public static final int FILL = 8_000;

    private static final Long[] KEYS = new Long[FILL];

    static {
        for (int i = 0; i < FILL; i++) {
            KEYS[i] = Long.valueOf(100_000L + i);
        }
    }

    private int index;

    /** @return the next key, round-robin over the first {@value #COUNT} */
    public Long next() {
        return KEYS[index++ & (COUNT - 1)];
    }

    /** @return the index of the next key in {@link #all()}, round-robin */
    public int nextIndex() {
        return index++ & (COUNT - 1);
    }

    /** @return the {@value #COUNT} keys looked up, in order (a copy) */
    public static Long[] all() {
        return Arrays.copyOf(KEYS, COUNT);
    }

    /** @return the {@value #FILL} keys every cache is filled with, the looked-up ones first (a copy) */
    public static Long[] fill() {
        return KEYS.clone();
    }
}
