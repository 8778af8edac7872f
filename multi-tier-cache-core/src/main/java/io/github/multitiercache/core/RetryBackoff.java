package io.github.multitiercache.core;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * When to try again what Redis is owed (a delete, a clear, a tag record): at most one try scheduled
 * at a time, {@value #FIRST_MILLIS} ms after the first refusal, doubling up to {@value #MAX_MILLIS} ms
 * while Redis keeps refusing, back to {@value #FIRST_MILLIS} ms once a try paid everything.
 *
 * <p>Thread-safe. The try runs on the engine's timer ({@link Delays}); when the timer is shutting down
 * nothing is scheduled, and what is owed is paid on the next call of {@link #schedule()}, if any.
 */
final class RetryBackoff {

    static final long FIRST_MILLIS = 50;
    static final long MAX_MILLIS = 500;

    private final Delays delays;
    private final Runnable attempt;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile long nextMillis = FIRST_MILLIS;

    /**
     * @param delays the engine's timer
     * @param attempt pays what is owed; calls {@link #schedule()} again at a refusal and
     *        {@link #reset()} when everything was paid
     */
    RetryBackoff(Delays delays, Runnable attempt) {
        this.delays = delays;
        this.attempt = attempt;
    }

    /** Schedules a try after the current delay, unless one is scheduled already; the next delay doubles. */
    void schedule() {
        if (!scheduled.compareAndSet(false, true)) {
            return;
        }
        long delay = nextMillis;
        nextMillis = Math.min(MAX_MILLIS, delay * 2);
        try {
            delays.after(TimeUnit.MILLISECONDS.toNanos(delay), () -> {
                scheduled.set(false);
                attempt.run();
            });
        }
        catch (RejectedExecutionException ex) {
            scheduled.set(false);
        }
    }

    /** Redis took everything (or answers again): the next refusal is tried again after the first delay. */
    void reset() {
        nextMillis = FIRST_MILLIS;
    }
}
