package io.github.multitiercache.core;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Spreads TTLs uniformly by a fraction, so that entries loaded together do not expire together.
 * With fraction {@code f} a TTL {@code t} becomes a value drawn uniformly from
 * {@code [t·(1−f), t·(1+f)]}, never below one millisecond.
 */
public final class TtlJitter {

    private static final TtlJitter DEFAULT = new TtlJitter(() -> ThreadLocalRandom.current().nextDouble());

    private final DoubleSupplier uniform;

    /**
     * Creates a jitter source.
     * @param uniform supplies values uniformly distributed in {@code [0, 1)}
     */
    public TtlJitter(DoubleSupplier uniform) {
        this.uniform = Objects.requireNonNull(uniform, "uniform");
    }

    /**
     * The jitter source backed by {@link ThreadLocalRandom}.
     * @return the default source
     */
    public static TtlJitter random() {
        return DEFAULT;
    }

    /**
     * Applies jitter to a TTL.
     * @param ttlMillis the TTL in milliseconds, positive
     * @param fraction the spread, in {@code [0, 1)}
     * @return the jittered TTL in milliseconds, at least 1
     */
    public long apply(long ttlMillis, double fraction) {
        if (fraction == 0) {
            return ttlMillis;
        }
        double factor = 1 + fraction * (2 * uniform.getAsDouble() - 1);
        return Math.max(1, Math.round(ttlMillis * factor));
    }
}
