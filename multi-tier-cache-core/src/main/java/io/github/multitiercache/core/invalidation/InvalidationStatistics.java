package io.github.multitiercache.core.invalidation;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running counts of an {@link InvalidationBus}: what it sent and received, and how often it
 * found a gap or distrusted the channel.
 */
public final class InvalidationStatistics {

    final LongAdder messagesSent = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder keysSent = new LongAdder();
    final LongAdder keysReceived = new LongAdder();
    final LongAdder heartbeatsSent = new LongAdder();
    final LongAdder heartbeatsReceived = new LongAdder();
    final LongAdder publishFailures = new LongAdder();
    final LongAdder gaps = new LongAdder();
    final LongAdder flushes = new LongAdder();
    final LongAdder degradations = new LongAdder();
    volatile long lastReceivedAtMillis;
    volatile long lastHeartbeatRoundTripNanos;

    InvalidationStatistics() {
    }

    /** @return messages (invalidations, heartbeats, goodbyes) published */
    public long messagesSent() {
        return messagesSent.sum();
    }

    /** @return messages received from other instances */
    public long messagesReceived() {
        return messagesReceived.sum();
    }

    /** @return keys (or whole caches) sent in invalidations */
    public long keysSent() {
        return keysSent.sum();
    }

    /** @return keys (or whole caches) received in invalidations */
    public long keysReceived() {
        return keysReceived.sum();
    }

    /** @return heartbeats published */
    public long heartbeatsSent() {
        return heartbeatsSent.sum();
    }

    /** @return own heartbeats received back */
    public long heartbeatsReceived() {
        return heartbeatsReceived.sum();
    }

    /** @return messages that could not be published (their number is spent, receivers see a gap) */
    public long publishFailures() {
        return publishFailures.sum();
    }

    /** @return gaps detected: lost messages, resubscriptions, silent peers, unreadable messages */
    public long gaps() {
        return gaps.sum();
    }

    /** @return times the whole L1 was dropped */
    public long flushes() {
        return flushes.sum();
    }

    /** @return times the channel was found unhealthy and L1 degraded */
    public long degradations() {
        return degradations.sum();
    }

    /** @return when the last message from another instance arrived, epoch milliseconds, 0 if never */
    public long lastReceivedAtMillis() {
        return lastReceivedAtMillis;
    }

    /** @return publish-to-receive time of the last own heartbeat, in nanoseconds, 0 if none yet */
    public long lastHeartbeatRoundTripNanos() {
        return lastHeartbeatRoundTripNanos;
    }
}
