package io.github.multitiercache.autoconfigure.metrics;

import java.util.Locale;
import java.util.Objects;

import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The meters of the Redis tier that every cache of the manager shares: calls that failed or timed
 * out, calls the open circuit breaker kept away from Redis, and the breaker's state (one gauge per
 * state, 1 for the current one).
 */
public final class RedisTierMetrics implements MeterBinder {

    static final String FAILURES = "multitier.cache.redis.failures";
    static final String TIMEOUTS = "multitier.cache.redis.timeouts";
    static final String REJECTED = "multitier.cache.redis.rejected";
    static final String CIRCUIT_STATE = "multitier.cache.redis.circuit.state";

    private final RedisTier redis;

    /**
     * Creates the meters of a Redis tier.
     * @param redis the tier
     */
    public RedisTierMetrics(RedisTier redis) {
        this.redis = Objects.requireNonNull(redis, "redis");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder(FAILURES, redis, r -> r.stats().failures())
                .description("Redis calls that failed or timed out; the caller was served from L1 or the loader")
                .register(registry);
        FunctionCounter.builder(TIMEOUTS, redis, r -> r.stats().timeouts())
                .description("Redis calls that timed out")
                .register(registry);
        FunctionCounter.builder(REJECTED, redis, r -> r.stats().rejected())
                .description("Redis calls not made because the circuit breaker was open")
                .register(registry);
        CircuitBreaker breaker = redis.circuitBreaker();
        for (CircuitBreaker.State state : CircuitBreaker.State.values()) {
            Gauge.builder(CIRCUIT_STATE, breaker, b -> (b.state() == state) ? 1 : 0)
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .description("1 for the current state of the Redis circuit breaker, 0 for the others")
                    .register(registry);
        }
    }
}
