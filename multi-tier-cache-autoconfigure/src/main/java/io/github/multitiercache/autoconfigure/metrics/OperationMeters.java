package io.github.multitiercache.autoconfigure.metrics;

import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.TieredCache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/** Loader calls and their time, clears, and the calls the cache could not handle normally. */
enum OperationMeters implements MultiTierCacheMeterContributor {

    INSTANCE;

    static final String LOADS = "multitier.cache.loads";
    static final String LOAD_DURATION = "multitier.cache.load.duration";
    static final String CLEARS = "multitier.cache.clears";
    static final String CODEC_ERRORS = "multitier.cache.codec.errors";
    static final String BYPASSES = "multitier.cache.bypasses";

    @Override
    public void bindTo(TieredCache cache, Tags tags, MeterRegistry registry) {
        FunctionCounter.builder(LOADS, cache, c -> c.statistics().loads())
                .tags(tags)
                .tag("result", "success")
                .description("Loader calls that returned a value (success) or threw (failure)")
                .register(registry);
        FunctionCounter.builder(LOADS, cache, c -> c.statistics().loadFailures())
                .tags(tags)
                .tag("result", "failure")
                .description("Loader calls that returned a value (success) or threw (failure)")
                .register(registry);
        FunctionTimer.builder(LOAD_DURATION, cache, c -> c.statistics().loads(), c -> c.statistics().loadNanos(),
                        TimeUnit.NANOSECONDS)
                .tags(tags)
                .description("Time spent in loader calls that returned a value")
                .register(registry);
        FunctionCounter.builder(CLEARS, cache, c -> c.statistics().clears())
                .tags(tags)
                .description("Clears of the whole cache")
                .register(registry);
        FunctionCounter.builder(CODEC_ERRORS, cache, c -> c.statistics().codecErrors())
                .tags(tags)
                .description("Values that could not be written to or read from Redis (handled as misses)")
                .register(registry);
        FunctionCounter.builder(BYPASSES, cache, c -> c.statistics().bypasses())
                .tags(tags)
                .description("Calls that bypassed the cache because the key was null or had no stable text form")
                .register(registry);
    }
}
