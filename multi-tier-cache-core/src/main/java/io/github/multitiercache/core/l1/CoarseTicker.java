package io.github.multitiercache.core.l1;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * A {@link Ticker} that reads a field instead of the system clock, for L1 expiry.
 *
 * <p>With per-entry expiry Caffeine reads its ticker on every hit; {@code System.nanoTime()} costs
 * more than the rest of the lookup. While running, one thread ({@code mtc-clock}) advances the field
 * every {@code resolution}, so a hit costs one volatile read and an entry may outlive its TTL by
 * about one resolution (far less than the TTL jitter). When not running — before {@link #start()},
 * after {@link #stop()} — {@link #read()} falls back to {@code System.nanoTime()}, so time never
 * stands still.
 */
public final class CoarseTicker implements Ticker, SmartLifecycle {

    private final long resolutionNanos;
    private volatile long now = System.nanoTime();
    private volatile boolean ticking;
    private @Nullable ScheduledExecutorService clock;

    /**
     * Creates a stopped ticker.
     * @param resolution how often the time is advanced while running, at least 100µs
     */
    public CoarseTicker(Duration resolution) {
        if (resolution.toNanos() < 100_000) {
            throw new IllegalArgumentException("resolution must be at least 100µs but was " + resolution);
        }
        this.resolutionNanos = resolution.toNanos();
    }

    @Override
    public long read() {
        return ticking ? now : System.nanoTime();
    }

    @Override
    public synchronized void start() {
        if (clock != null) {
            return;
        }
        ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "mtc-clock");
            thread.setDaemon(true);
            return thread;
        });
        now = System.nanoTime();
        started.scheduleAtFixedRate(() -> now = System.nanoTime(), resolutionNanos, resolutionNanos,
                TimeUnit.NANOSECONDS);
        clock = started;
        ticking = true;
    }

    @Override
    public synchronized void stop() {
        ticking = false;
        if (clock != null) {
            clock.shutdownNow();
            clock = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return clock != null;
    }

    /** Starts before anything else that may read the cache, and stops after it. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE;
    }
}
