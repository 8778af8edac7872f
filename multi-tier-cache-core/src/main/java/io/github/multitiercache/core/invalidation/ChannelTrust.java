package io.github.multitiercache.core.invalidation;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.redis.CircuitBreaker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Whether this instance's L1 may be trusted, as the {@link InvalidationBus} finds out: the
 * degraded and live transitions driven by the bus's own heartbeats, the gaps that drop L1 at once,
 * and the one log line per gap episode (see the bus for the rules).
 *
 * <p>Everything here guards one {@link L1Guard}; its state changes and the gap report are made
 * under one lock.
 */
final class ChannelTrust {

    private static final Log logger = LogFactory.getLog(InvalidationBus.class);

    /** The longest a gap waits to be logged while gaps keep coming without a pause. */
    static final Duration GAP_REPORT_MAX_AGE = Duration.ofMinutes(1);

    private final L1Guard guard;
    private final InvalidationSettings settings;
    private final InvalidationStatistics statistics;
    private final CircuitBreaker breaker;
    private final String sender;
    private final LongSupplier nanoClock;

    private volatile long lastOwnHeartbeatSentNanos;

    // Guards the degraded/live transitions, their times and the gap report.
    private final Object stateLock = new Object();
    private final GapReport gapReport;
    private long degradedSinceNanos;
    private long liveSinceNanos;

    ChannelTrust(L1Guard guard, InvalidationSettings settings, InvalidationStatistics statistics,
            CircuitBreaker breaker, String sender, LongSupplier nanoClock) {
        this.guard = guard;
        this.settings = settings;
        this.statistics = statistics;
        this.breaker = breaker;
        this.sender = sender;
        this.nanoClock = nanoClock;
        this.gapReport = new GapReport(settings.channel());
    }

    /** The bus starts: the channel counts as live from now, for one trust window. */
    void started() {
        lastOwnHeartbeatSentNanos = nanoClock.getAsLong();
        synchronized (stateLock) {
            liveSinceNanos = lastOwnHeartbeatSentNanos;
        }
    }

    /** @return whether L1 is currently degraded */
    boolean isDegraded() {
        return guard.isDegraded();
    }

    /**
     * One of this instance's own heartbeats came back. Only a heartbeat that the next
     * {@link #checkHeartbeats} will still accept ends degraded mode. A stale one (queued by Lettuce
     * during an outage and published on reconnecting), or one that barely made it, would end it
     * until the next check only; so would any heartbeat while the breaker refuses commands (a probe
     * that timed out although Redis then ran it), since the next heartbeats are never published.
     * @param sentNanos when it was sent
     * @param running whether the bus is running
     */
    void ownHeartbeat(long sentNanos, boolean running) {
        statistics.heartbeatsReceived.increment();
        long now = nanoClock.getAsLong();
        long roundTrip = now - sentNanos;
        statistics.lastHeartbeatRoundTripNanos = roundTrip;
        if (sentNanos > lastOwnHeartbeatSentNanos) {
            lastOwnHeartbeatSentNanos = sentNanos;
        }
        if (!guard.isDegraded() || !running || roundTrip > recoveryWindowNanos()
                || breaker.state() != CircuitBreaker.State.CLOSED) {
            return;
        }
        long degradedFor;
        synchronized (stateLock) {
            if (!guard.isDegraded()) {
                return;
            }
            guard.setDegraded(false);
            liveSinceNanos = now;
            degradedFor = now - degradedSinceNanos;
        }
        logger.info("Invalidation channel " + settings.channel() + " is live again after " + degradedFor / 1_000_000
                + "ms degraded; L1 is trusted again");
    }

    /** Degrades L1 when no own heartbeat sent within the trust window has come back. */
    void checkHeartbeats(long now) {
        if (now - lastOwnHeartbeatSentNanos > trustWindowNanos() && !guard.isDegraded()) {
            degrade("no heartbeat of this instance came back through " + settings.channel() + " for "
                    + (now - lastOwnHeartbeatSentNanos) / 1_000_000 + "ms");
        }
    }

    /** An own heartbeat sent longer ago than this has not come back in time. */
    private long trustWindowNanos() {
        return settings.maxStaleness().minus(settings.heartbeatInterval()).toNanos();
    }

    /**
     * The longest round trip of an own heartbeat that ends degraded mode: one that leaves the
     * trust window open until the next check, an interval later, or at least half the window when
     * the interval is that long (max-staleness may be as small as two intervals).
     */
    private long recoveryWindowNanos() {
        long window = trustWindowNanos();
        return window - Math.min(settings.heartbeatInterval().toNanos(), window / 2);
    }

    /**
     * Drops the whole L1 at once, for a gap that {@code recording} adds to the report logged when
     * the episode is over.
     */
    void gap(Consumer<GapReport> recording) {
        statistics.gaps.increment();
        statistics.flushes.increment();
        guard.invalidateAll();
        synchronized (stateLock) {
            recording.accept(gapReport);
        }
    }

    /**
     * Logs the gaps recorded so far once the episode they belong to is over: the channel has been
     * live, with no new gap, for {@code maxStaleness} (after a reconnection every peer has sent a
     * message by then, and queued publishes have been delivered), or gaps have kept coming for
     * {@link #GAP_REPORT_MAX_AGE}. Never while degraded: a gap then belongs to the outage, whose
     * end brings more.
     */
    void reportGapsIfDue(long now) {
        String line;
        synchronized (stateLock) {
            if (!gapReport.isPending() || guard.isDegraded()) {
                return;
            }
            long quietSince = Math.max(gapReport.lastNanos(), liveSinceNanos);
            long episodeStart = Math.max(gapReport.firstNanos(), liveSinceNanos);
            if (now - quietSince < settings.maxStaleness().toNanos()
                    && now - episodeStart < GAP_REPORT_MAX_AGE.toNanos()) {
                return;
            }
            line = gapReport.take();
        }
        logGaps(line);
    }

    /** Logs the gaps not reported yet: the bus stops. */
    void reportGaps() {
        String unreported;
        synchronized (stateLock) {
            unreported = gapReport.take();
        }
        logGaps(unreported);
    }

    private void logGaps(@Nullable String line) {
        if (line != null) {
            logger.warn(line + "; this instance is " + sender);
        }
    }

    /** Degrades L1 unless it is already, logging the transition once. */
    void degrade(String reason) {
        synchronized (stateLock) {
            if (guard.isDegraded()) {
                return;
            }
            guard.setDegraded(true);
            degradedSinceNanos = nanoClock.getAsLong();
        }
        statistics.flushes.increment();
        statistics.degradations.increment();
        logger.warn("L1 is degraded (entries live at most " + settings.degradedL1Ttl() + ") after " + reason);
    }
}
