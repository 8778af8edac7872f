package io.github.multitiercache.autoconfigure.metrics;

import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.stampede.StampedeStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.jspecify.annotations.Nullable;

/**
 * Fleet-wide single flight, refresh-ahead and fail-safe: lock acquisitions and waits, takeovers,
 * fallbacks, rejected stale stores, stale serves and refreshes, read from the cache's
 * {@link StampedeStatistics}.
 */
enum StampedeMeters implements MultiTierCacheMeterContributor {

    INSTANCE;

    static final String LOCK = "multitier.cache.lock";
    static final String LOCK_WAIT = "multitier.cache.lock.wait";
    static final String FALLBACKS = "multitier.cache.lock.fallbacks";
    static final String REJECTED_STORES = "multitier.cache.stores.rejected";
    static final String STALE_SERVES = "multitier.cache.stale.serves";
    static final String TIMEOUTS = "multitier.cache.load.timeouts";
    static final String REFRESHES = "multitier.cache.refreshes";

    @Override
    public void bindTo(TieredCache cache, Tags tags, MeterRegistry registry) {
        counter(registry, LOCK, cache, tags.and("result", "acquired"), StampedeStatistics::lockAcquisitions,
                "Per-key Redis leases taken (acquired), taken over after the holder's lease expired (takeover),"
                        + " or skipped because Redis was unavailable or the key cannot share a slot (bypassed)");
        counter(registry, LOCK, cache, tags.and("result", "takeover"), StampedeStatistics::takeovers, null);
        counter(registry, LOCK, cache, tags.and("result", "bypassed"), StampedeStatistics::lockBypasses, null);
        FunctionTimer.builder(LOCK_WAIT, cache, c -> c.stampedeStatistics().lockWaits(),
                        c -> c.stampedeStatistics().lockWaitNanos(), TimeUnit.NANOSECONDS)
                .tags(tags)
                .description("Waits for another instance's load of the same key, and their time")
                .register(registry);
        counter(registry, LOCK_WAIT + ".results", cache, tags.and("result", "value"), StampedeStatistics::waitHits,
                "How waits ended: the value landed (value) or stampede.max-wait passed (timeout)");
        counter(registry, LOCK_WAIT + ".results", cache, tags.and("result", "timeout"),
                StampedeStatistics::waitTimeouts, null);
        counter(registry, FALLBACKS, cache, tags.and("action", "load"), StampedeStatistics::fallbackLoads,
                "What a wait that timed out did: loaded anyway (load) or failed the call (fail)");
        counter(registry, FALLBACKS, cache, tags.and("action", "fail"), StampedeStatistics::fallbackFailures, null);
        counter(registry, REJECTED_STORES, cache, tags, StampedeStatistics::rejectedStores,
                "Loaded values not stored because a write of the same key overtook the load");
        counter(registry, STALE_SERVES, cache, tags, StampedeStatistics::staleServes,
                "Stale values served by fail-safe instead of a failed or slow load");
        counter(registry, TIMEOUTS, cache, tags.and("kind", "soft"), StampedeStatistics::softTimeouts,
                "Loads that passed fail-safe.soft-timeout (soft) or fail-safe.hard-timeout (hard)");
        counter(registry, TIMEOUTS, cache, tags.and("kind", "hard"), StampedeStatistics::hardTimeouts, null);
        counter(registry, REFRESHES, cache, tags.and("result", "success"), StampedeStatistics::refreshes,
                "Background refresh-ahead loads: stored (success), failed (failure), or not started because"
                        + " another refresh of the key was under way (skipped)");
        counter(registry, REFRESHES, cache, tags.and("result", "failure"), StampedeStatistics::refreshFailures, null);
        counter(registry, REFRESHES, cache, tags.and("result", "skipped"), StampedeStatistics::refreshesSkipped, null);
    }

    private static void counter(MeterRegistry registry, String name, TieredCache cache, Tags tags,
            ToDoubleFunction<StampedeStatistics> count, @Nullable String description) {
        FunctionCounter.builder(name, cache, c -> count.applyAsDouble(c.stampedeStatistics()))
                .tags(tags)
                .description(description)
                .register(registry);
    }
}
