package io.github.multitiercache.core.redis;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Stops calls to Redis after repeated failures and probes its way back.
 *
 * <p>{@link State#CLOSED}: every call goes through; {@code failureThreshold} consecutive failures
 * open the breaker. {@link State#OPEN}: no call goes through until {@code openDuration} has
 * passed; then exactly one caller is let through as a probe ({@link State#HALF_OPEN}). The probe's
 * success closes the breaker, its failure opens it again for another {@code openDuration}. A probe
 * that never reports back is replaced by another after {@code openDuration}.
 *
 * <p>Thread-safe. In the closed state {@link #tryAcquire()} and {@link #onSuccess()} are a volatile
 * read each, so the breaker costs nothing measurable while Redis is healthy.
 */
public final class CircuitBreaker {

    /** The states of the breaker. */
    public enum State {
        /** Calls go through. */
        CLOSED,
        /** Calls are refused until the open duration has passed. */
        OPEN,
        /** One probe call is under way; other calls are refused. */
        HALF_OPEN
    }

    /** Told of every state change, on the thread that caused it. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called after the state changed.
         * @param from the previous state
         * @param to the new state
         */
        void stateChanged(State from, State to);
    }

    private final int failureThreshold;
    private final long openNanos;
    private final LongSupplier nanoClock;
    // The state and when it began, replaced as one: a compare-and-set on it cannot succeed on a
    // state that left and came back meanwhile (OPEN → HALF_OPEN → OPEN), which would let a second
    // probe through at once.
    private final AtomicReference<Phase> phase = new AtomicReference<>(new Phase(State.CLOSED, 0));
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /**
     * Creates a closed breaker.
     * @param failureThreshold consecutive failures that open the breaker, at least 1
     * @param openDuration how long the breaker stays open before a probe, positive
     * @param nanoClock the time source, {@code System::nanoTime} outside tests
     */
    public CircuitBreaker(int failureThreshold, Duration openDuration, LongSupplier nanoClock) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failure threshold must be at least 1 but was " + failureThreshold);
        }
        if (openDuration.isNegative() || openDuration.isZero()) {
            throw new IllegalArgumentException("open duration must be positive but was " + openDuration);
        }
        this.failureThreshold = failureThreshold;
        this.openNanos = openDuration.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * Adds a listener told of state changes.
     * @param listener the listener
     */
    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Asks whether a call may go to Redis now. A caller that gets {@code true} must report the
     * outcome with {@link #onSuccess()} or {@link #onFailure()}.
     * @return {@code true} when the call may proceed
     */
    public boolean tryAcquire() {
        Phase current = phase();
        if (current.state == State.CLOSED) {
            return true;
        }
        long now = nanoClock.getAsLong();
        if (now - current.sinceNanos < openNanos) {
            return false;
        }
        // Open long enough, or a probe went silent: let exactly one caller through.
        if (phase.compareAndSet(current, new Phase(State.HALF_OPEN, now))) {
            if (current.state != State.HALF_OPEN) {
                notify(current.state, State.HALF_OPEN);
            }
            return true;
        }
        return false;
    }

    /**
     * Lets the next caller through as a probe if the breaker is open, instead of waiting out the
     * open duration: used when Redis is known to be reachable again (a connection to it opened).
     * The probe's outcome decides, as after the open duration. No effect when closed or while a
     * probe is under way.
     */
    public void probeNow() {
        Phase current = phase();
        if (current.state == State.OPEN) {
            // Backdated: tryAcquire sees the open duration as over and lets exactly one caller through.
            phase.compareAndSet(current, new Phase(State.OPEN, nanoClock.getAsLong() - openNanos));
        }
    }

    /** Reports a successful call. */
    public void onSuccess() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
        Phase current = phase();
        if (current.state != State.CLOSED
                && phase.compareAndSet(current, new Phase(State.CLOSED, nanoClock.getAsLong()))) {
            notify(current.state, State.CLOSED);
        }
    }

    /** Reports a failed or timed-out call. */
    public void onFailure() {
        int failures = consecutiveFailures.incrementAndGet();
        Phase current = phase();
        if (current.state == State.HALF_OPEN || (current.state == State.CLOSED && failures >= failureThreshold)) {
            if (phase.compareAndSet(current, new Phase(State.OPEN, nanoClock.getAsLong()))) {
                notify(current.state, State.OPEN);
            }
        }
    }

    // Set at construction and only ever replaced by another Phase, never cleared.
    private Phase phase() {
        return Objects.requireNonNull(phase.get());
    }

    private void notify(State from, State to) {
        for (Listener listener : listeners) {
            listener.stateChanged(from, to);
        }
    }

    /**
     * The current state.
     * @return the state
     */
    public State state() {
        return phase().state;
    }

    /** A state and the monotonic time it began; never reused, so that compare-and-set sees every change. */
    private static final class Phase {

        final State state;
        final long sinceNanos;

        Phase(State state, long sinceNanos) {
            this.state = state;
            this.sinceNanos = sinceNanos;
        }
    }

    /**
     * The number of failures since the last success.
     * @return the count
     */
    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }
}
