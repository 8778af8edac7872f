package io.github.multitiercache.autoconfigure.metrics;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The meters of the invalidation channel: messages and keys sent and received, gaps, L1 flushes
 * and degradations, failed publishes, whether the channel is live, how many peers it hears, the
 * round trip of its own heartbeat, and the propagation lag of messages from other instances.
 *
 * <p>The lag is a distribution summary in seconds with histogram buckets from 100µs to 10s, so
 * that a p99 can be computed across instances. It takes the bus's single lag listener.
 */
public final class InvalidationMetrics implements MeterBinder {

    static final String MESSAGES = "multitier.cache.invalidation.messages";
    static final String KEYS = "multitier.cache.invalidation.keys";
    static final String HEARTBEATS = "multitier.cache.invalidation.heartbeats";
    static final String PUBLISH_FAILURES = "multitier.cache.invalidation.publish.failures";
    static final String GAPS = "multitier.cache.invalidation.gaps";
    static final String FLUSHES = "multitier.cache.invalidation.flushes";
    static final String DEGRADATIONS = "multitier.cache.invalidation.degradations";
    static final String HEALTHY = "multitier.cache.invalidation.healthy";
    static final String PEERS = "multitier.cache.invalidation.peers";
    static final String HEARTBEAT_ROUND_TRIP = "multitier.cache.invalidation.heartbeat.round.trip";
    static final String LAG = "multitier.cache.invalidation.lag";

    private static final double MICROS_TO_SECONDS = 1e-6;

    /**
     * Histogram bucket bounds in seconds, from 100µs to 10s. Micrometer's own percentile buckets
     * for a distribution summary are whole numbers, too coarse for a lag of milliseconds.
     */
    private static final double[] LAG_BUCKETS = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

    private final InvalidationBus bus;

    private final List<DistributionSummary> lagSummaries = new CopyOnWriteArrayList<>();

    /**
     * Creates the meters of an invalidation bus.
     * @param bus the bus
     */
    public InvalidationMetrics(InvalidationBus bus) {
        this.bus = Objects.requireNonNull(bus, "bus");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        InvalidationStatistics statistics = bus.statistics();
        directions(registry, MESSAGES, "Invalidation channel messages published by this instance (sent)"
                + " or received from others (received), heartbeats included", statistics,
                InvalidationStatistics::messagesSent, InvalidationStatistics::messagesReceived);
        directions(registry, KEYS, "Keys (or whole caches) sent or received in invalidations", statistics,
                InvalidationStatistics::keysSent, InvalidationStatistics::keysReceived);
        directions(registry, HEARTBEATS, "Heartbeats published (sent) and own heartbeats received back (received)",
                statistics, InvalidationStatistics::heartbeatsSent, InvalidationStatistics::heartbeatsReceived);
        counter(registry, PUBLISH_FAILURES, "Messages that could not be published", statistics,
                InvalidationStatistics::publishFailures);
        counter(registry, GAPS, "Gaps detected: lost messages, resubscriptions, silent peers, unreadable messages",
                statistics, InvalidationStatistics::gaps);
        counter(registry, FLUSHES, "Times this instance's whole L1 was dropped", statistics,
                InvalidationStatistics::flushes);
        counter(registry, DEGRADATIONS, "Times the channel was found unhealthy and L1 was degraded", statistics,
                InvalidationStatistics::degradations);
        Gauge.builder(HEALTHY, bus, b -> b.isHealthy() ? 1 : 0)
                .description("1 while own heartbeats come back in time and L1 is trusted, 0 otherwise")
                .register(registry);
        Gauge.builder(PEERS, bus, InvalidationBus::peerCount)
                .description("Other instances heard from recently")
                .register(registry);
        TimeGauge.builder(HEARTBEAT_ROUND_TRIP, statistics, TimeUnit.NANOSECONDS,
                        InvalidationStatistics::lastHeartbeatRoundTripNanos)
                .description("Publish-to-receive time of the last own heartbeat")
                .register(registry);
        DistributionSummary lag = DistributionSummary.builder(LAG)
                .baseUnit("seconds")
                .scale(MICROS_TO_SECONDS)
                .serviceLevelObjectives(LAG_BUCKETS)
                .description("Time from another instance publishing a message to this instance receiving it,"
                        + " by the two instances' clocks")
                .register(registry);
        if (!lagSummaries.contains(lag)) {
            lagSummaries.add(lag);
        }
        bus.setLagListener(this::recordLag);
    }

    private void recordLag(long micros) {
        for (DistributionSummary summary : lagSummaries) {
            summary.record(micros);
        }
    }

    private static void directions(MeterRegistry registry, String name, String description,
            InvalidationStatistics statistics, ToDoubleFunction<InvalidationStatistics> sent,
            ToDoubleFunction<InvalidationStatistics> received) {
        FunctionCounter.builder(name, statistics, sent).tag("direction", "sent").description(description)
                .register(registry);
        FunctionCounter.builder(name, statistics, received).tag("direction", "received").description(description)
                .register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String description,
            InvalidationStatistics statistics, ToDoubleFunction<InvalidationStatistics> count) {
        FunctionCounter.builder(name, statistics, count).description(description).register(registry);
    }
}
