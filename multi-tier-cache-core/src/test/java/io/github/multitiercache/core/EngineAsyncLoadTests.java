package io.github.multitiercache.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import org.junit.jupiter.api.Test;

import static io.github.multitiercache.core.FastEngine.leased;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The asynchronous load path ({@code retrieve(key, loader)}: lease, waits, stale-set protection,
 * fail-safe, refresh-ahead) against the in-memory twin of Redis with a fake clock and a same-thread
 * executor: every future the cache returns is complete when the call returns, and every wait passes
 * in fake time.
 */
class EngineAsyncLoadTests {

    private final FastEngine engine = new FastEngine();

    private static Supplier<CompletableFuture<String>> value(String value, AtomicInteger calls) {
        return () -> {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture(value);
        };
    }

    @Test
    void anAsynchronousWaiterTakesTheValueTheLeaseOwnerStores() {
        TieredCache cache = engine.instance("c", leased().build());
        engine.redis.holdLease("fast:c:k", Duration.ofSeconds(10));
        AtomicInteger waits = new AtomicInteger();
        engine.redis.onWait(() -> {
            if (waits.incrementAndGet() == 3) {
                long now = engine.now();
                engine.redis.completeLoad("fast:c:k", new StoredEntry("from the owner", now, now + 60_000, 5), 60_000);
            }
        });
        AtomicInteger loads = new AtomicInteger();
        CompletableFuture<String> read = cache.retrieve("k", value("loaded here", loads));
        assertThat(read).isCompletedWithValue("from the owner");
        assertThat(loads).hasValue(0);
        assertThat(cache.stampedeStatistics().lockWaits()).isEqualTo(1);
        assertThat(cache.stampedeStatistics().waitHits()).isEqualTo(1);
    }

    @Test
    void anAsynchronousWaitLongerThanMaxWaitLoadsWithoutTheLease() {
        TieredCache cache = engine.instance("c", leased().build());
        engine.redis.holdLease("fast:c:k", Duration.ofMinutes(1));
        AtomicInteger loads = new AtomicInteger();
        assertThat(cache.retrieve("k", value("fallback", loads))).isCompletedWithValue("fallback");
        assertThat(loads).hasValue(1);
        assertThat(cache.stampedeStatistics().fallbackLoads()).isEqualTo(1);
        assertThat(engine.redis.entry("fast:c:k")).extracting(StoredEntry::value).isEqualTo("fallback");
    }

    @Test
    void anAsynchronousLoadOvertakenByAPutOnAnotherInstanceDoesNotOverwriteIt() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());
        CompletableFuture<String> read = a.retrieve("k", () -> {
            b.put("k", "newer");
            return CompletableFuture.completedFuture("older");
        });
        assertThat(read).isCompletedWithValue("older");
        assertThat(a.stampedeStatistics().rejectedStores()).isEqualTo(1);
        assertThat(engine.redis.entry("fast:c:k")).extracting(StoredEntry::value).isEqualTo("newer");
    }

    @Test
    void anAsynchronousLoadThatFailsServesTheExpiredValueWithFailSafe() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(1))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO)).build());
        assertThat(cache.retrieve("k", value("v1", new AtomicInteger()))).isCompletedWithValue("v1");
        engine.time.advance(Duration.ofSeconds(2));
        CompletableFuture<String> served = cache.retrieve("k",
                () -> CompletableFuture.failedFuture(new IllegalStateException("database down")));
        assertThat(served).isCompletedWithValue("v1");
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(1);
        engine.time.advance(Duration.ofSeconds(10));
        assertThat(cache.retrieve("k", () -> CompletableFuture.failedFuture(new IllegalStateException("still down"))))
                .isCompletedExceptionally();
    }

    @Test
    void anAsynchronousLoadThatOutlastsTheSoftTimeoutServesTheExpiredValueAndTheHardTimeoutFailsTheRest() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(1))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ofMillis(200),
                        Duration.ofSeconds(2))).build());
        assertThat(cache.retrieve("k", value("v1", new AtomicInteger()))).isCompletedWithValue("v1");
        engine.time.advance(Duration.ofSeconds(2));
        CompletableFuture<String> slow = new CompletableFuture<>();
        CompletableFuture<String> served = cache.retrieve("k", () -> slow);
        assertThat(served).as("the load is still running").isNotDone();
        engine.time.advance(Duration.ofMillis(200));
        assertThat(served).as("served stale at the soft timeout").isCompletedWithValue("v1");
        assertThat(cache.stampedeStatistics().softTimeouts()).isEqualTo(1);
        slow.complete("v2");
        assertThat(cache.retrieve("k", () -> CompletableFuture.completedFuture("v3"))).isCompletedWithValue("v2");

        engine.time.advance(Duration.ofSeconds(20));
        CompletableFuture<String> bounded = cache.retrieve("k", CompletableFuture::new);
        engine.time.advance(Duration.ofMillis(1_999));
        assertThat(bounded).isNotDone();
        engine.time.advance(Duration.ofMillis(1));
        assertThat(bounded).as("no stale value left: failed at the hard timeout").isCompletedExceptionally();
        assertThat(cache.stampedeStatistics().hardTimeouts()).isEqualTo(1);
    }

    @Test
    void refreshAheadReloadsAnAsynchronousValueCloseToItsExpiryOnce() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(10))
                .refresh(new RefreshSettings(RefreshSettings.Mode.FIXED, 0.5, 1.0)).build());
        AtomicInteger loads = new AtomicInteger();
        Supplier<CompletableFuture<String>> loader =
                () -> CompletableFuture.completedFuture("v" + loads.incrementAndGet());
        assertThat(cache.retrieve("k", loader)).isCompletedWithValue("v1");
        engine.time.advance(Duration.ofSeconds(6));
        assertThat(cache.retrieve("k", loader)).as("the current value, while the refresh runs")
                .isCompletedWithValue("v1");
        assertThat(loads).hasValue(2);
        assertThat(cache.retrieve("k", loader)).isCompletedWithValue("v2");
        assertThat(cache.stampedeStatistics().refreshes()).isEqualTo(1);
    }
}
