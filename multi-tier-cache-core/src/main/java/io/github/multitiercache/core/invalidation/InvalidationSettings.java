package io.github.multitiercache.core.invalidation;

import java.time.Duration;
import java.util.Objects;

/**
 * How the invalidation channel runs and the staleness bound it keeps.
 *
 * <p>Every instance publishes a heartbeat every {@code heartbeatInterval} and expects to receive
 * its own heartbeats back. An instance that has not received one of its heartbeats sent within the
 * last {@code maxStaleness − heartbeatInterval} stops trusting its L1 (checked once per interval),
 * so no L1 entry is served more than {@code maxStaleness} after an invalidation it may have missed.
 *
 * @param channel the pub/sub channel
 * @param heartbeatInterval how often heartbeats are sent and the channel's health is checked
 * @param maxStaleness the longest an instance may serve an L1 value after another instance replaced
 *        it, under faults; at least twice the heartbeat interval
 * @param degradedL1Ttl the longest life of an L1 entry written while the channel is unhealthy; 0
 *        keeps L1 unused then; at most {@code maxStaleness}
 * @param maxKeysPerMessage the most keys one message carries; larger batches are split
 * @param batchWindow the shortest time between two invalidation batches; keys queued meanwhile
 *        travel together. Zero (the default of the Spring Boot properties) sends a change at once
 *        unless two batches are already in flight, so that only the round trip to Redis paces the
 *        messages
 */
public record InvalidationSettings(String channel, Duration heartbeatInterval, Duration maxStaleness,
        Duration degradedL1Ttl, int maxKeysPerMessage, Duration batchWindow) {

    /** Validates the settings, naming the offending option. */
    public InvalidationSettings {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(maxStaleness, "maxStaleness");
        Objects.requireNonNull(degradedL1Ttl, "degradedL1Ttl");
        Objects.requireNonNull(batchWindow, "batchWindow");
        if (channel.isBlank()) {
            throw new IllegalArgumentException("invalidation.channel must not be blank");
        }
        if (heartbeatInterval.toMillis() < 10) {
            throw new IllegalArgumentException("invalidation.heartbeat-interval must be at least 10ms but was "
                    + heartbeatInterval);
        }
        if (maxStaleness.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("invalidation.max-staleness (" + maxStaleness
                    + ") must be at least twice invalidation.heartbeat-interval (" + heartbeatInterval + ")");
        }
        if (degradedL1Ttl.isNegative() || degradedL1Ttl.compareTo(maxStaleness) > 0) {
            throw new IllegalArgumentException("invalidation.degraded-l1-ttl must be between 0 and"
                    + " invalidation.max-staleness (" + maxStaleness + ") but was " + degradedL1Ttl);
        }
        if (batchWindow.isNegative() || batchWindow.compareTo(heartbeatInterval) > 0) {
            throw new IllegalArgumentException("invalidation.batch-window must be between 0 and"
                    + " invalidation.heartbeat-interval (" + heartbeatInterval + ") but was " + batchWindow);
        }
        if (maxKeysPerMessage < 1) {
            throw new IllegalArgumentException("invalidation.max-keys-per-message must be positive but was "
                    + maxKeysPerMessage);
        }
    }
}
