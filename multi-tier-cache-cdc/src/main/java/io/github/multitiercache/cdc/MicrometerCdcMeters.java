package io.github.multitiercache.cdc;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** The consumer's meters in Micrometer; see docs/metrics.md. */
final class MicrometerCdcMeters implements CdcMeters {

    static final String CHANGES = "multitier.cache.cdc.changes";

    static final String EVICTIONS = "multitier.cache.cdc.evictions";

    static final String MAPPING_FAILURES = "multitier.cache.cdc.mapping.failures";

    static final String LAG = "multitier.cache.cdc.lag";

    static final String LEASE_HOLDER = "multitier.cache.cdc.lease.holder";

    private final MeterRegistry registry;

    private final Timer lag;

    MicrometerCdcMeters(MeterRegistry registry) {
        this.registry = registry;
        this.lag = Timer.builder(LAG)
                .description("Time from a change's commit in the database to its evictions being done")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    @Override
    public void changeSeen(String table, String op) {
        Counter.builder(CHANGES).description("Changes read from the database's change stream")
                .tag("table", table).tag("op", op).register(registry).increment();
    }

    @Override
    public void evicted(String kind, int count) {
        if (count > 0) {
            Counter.builder(EVICTIONS).description("Evictions made by the change-data-capture consumer")
                    .tag("kind", kind).register(registry).increment(count);
        }
    }

    @Override
    public void mappingFailed(String table) {
        Counter.builder(MAPPING_FAILURES).description("Changed rows whose mapping to evictions failed")
                .tag("table", table).register(registry).increment();
    }

    @Override
    public void lag(Duration duration) {
        lag.record(duration);
    }
}
