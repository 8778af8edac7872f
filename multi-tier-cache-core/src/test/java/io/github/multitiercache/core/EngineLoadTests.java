package io.github.multitiercache.core;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.Cache.ValueWrapper;

import static io.github.multitiercache.core.FastEngine.leased;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The load path (lease, waits, takeover, stale-set protection, fail-safe, refresh-ahead) and the
 * recovery of what Redis is owed, against the in-memory twin of Redis with a fake clock: every wait
 * passes in fake time, so each test decides the interleaving and runs in milliseconds.
 */
class EngineLoadTests {

    private final FastEngine engine = new FastEngine();

    @Test
    void aWaiterTakesTheValueTheLeaseOwnerStoresInsteadOfLoading() {
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
        assertThat(cache.get("k", () -> "loaded here " + loads.incrementAndGet())).isEqualTo("from the owner");
        assertThat(loads).hasValue(0);
        assertThat(cache.stampedeStatistics().lockWaits()).isEqualTo(1);
        assertThat(cache.stampedeStatistics().waitHits()).isEqualTo(1);
        assertThat(cache.lookup("k")).extracting(ValueWrapper::get).isEqualTo("from the owner");
        assertThat(cache.statistics().l1Hits()).isEqualTo(1);
    }

    @Test
    void aWaitLongerThanMaxWaitLoadsWithoutTheLeaseAndWritesOnlyIfStillAbsent() {
        TieredCache cache = engine.instance("c", leased().build());
        engine.redis.holdLease("fast:c:k", Duration.ofMinutes(1));
        long start = engine.time.read();
        assertThat(cache.get("k", () -> "fallback")).isEqualTo("fallback");
        assertThat(Duration.ofNanos(engine.time.read() - start)).isBetween(Duration.ofSeconds(2),
                Duration.ofMillis(2_200));
        assertThat(cache.stampedeStatistics().waitTimeouts()).isEqualTo(1);
        assertThat(cache.stampedeStatistics().fallbackLoads()).isEqualTo(1);
        assertThat(engine.redis.entry("fast:c:k")).extracting(StoredEntry::value).isEqualTo("fallback");
    }

    @Test
    void aLeaseWhoseOwnerDiedIsTakenOverWhenItExpires() {
        TieredCache cache = engine.instance("c", leased().build());
        engine.redis.holdLease("fast:c:k", Duration.ofMillis(300));
        assertThat(cache.get("k", () -> "taken over")).isEqualTo("taken over");
        assertThat(cache.stampedeStatistics().takeovers()).isEqualTo(1);
        assertThat(cache.stampedeStatistics().fallbackLoads()).isZero();
        assertThat(engine.redis.exists("{fast:c:k}:lock")).isFalse();
    }

    @Test
    void aLoadOvertakenByAPutOnAnotherInstanceDoesNotOverwriteIt() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());
        assertThat(a.get("k", () -> {
            b.put("k", "newer");
            return "older";
        })).isEqualTo("older");
        assertThat(a.stampedeStatistics().rejectedStores()).isEqualTo(1);
        assertThat(engine.redis.entry("fast:c:k")).extracting(StoredEntry::value).isEqualTo("newer");
        assertThat(a.lookup("k")).extracting(ValueWrapper::get).isEqualTo("newer");
    }

    @Test
    void failSafeServesTheExpiredValueWhenTheLoaderFailsUntilMaxStale() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(1))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO)).build());
        assertThat(cache.get("k", () -> "v1")).isEqualTo("v1");
        engine.time.advance(Duration.ofSeconds(2));
        Callable<String> failing = () -> {
            throw new IllegalStateException("database down");
        };
        assertThat(cache.lookup("k")).as("an expired value is a miss").isNull();
        assertThat(cache.get("k", failing)).isEqualTo("v1");
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(1);
        engine.time.advance(Duration.ofSeconds(10));
        assertThatThrownBy(() -> cache.get("k", failing)).isInstanceOf(ValueRetrievalException.class)
                .hasRootCauseMessage("database down");
    }

    @Test
    void refreshAheadReloadsAValueCloseToItsExpiryOnceWhileTheCurrentOneIsServed() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(10))
                .refresh(new RefreshSettings(RefreshSettings.Mode.FIXED, 0.5, 1.0)).build());
        AtomicInteger loads = new AtomicInteger();
        Callable<String> loader = () -> "v" + loads.incrementAndGet();
        assertThat(cache.get("k", loader)).isEqualTo("v1");
        engine.time.advance(Duration.ofSeconds(4));
        assertThat(cache.get("k", loader)).as("not due yet").isEqualTo("v1");
        assertThat(loads).hasValue(1);
        engine.time.advance(Duration.ofSeconds(2));
        // Due: the read is served the current value; the refresh runs on the (same-thread) executor.
        assertThat(cache.get("k", loader)).isEqualTo("v1");
        assertThat(loads).hasValue(2);
        assertThat(cache.get("k", loader)).isEqualTo("v2");
        assertThat(cache.stampedeStatistics().refreshes()).isEqualTo(1);
    }

    @Test
    void aDeleteOwedToRedisIsPaidWhenItAnswersAgainAndTheReplacedValueIsNeverReadAgain() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().l1Enabled(false).build());
        a.put("k", "old");
        engine.redis.down(true);
        a.put("k", "new");
        engine.redis.down(false);
        assertThat(engine.redis.exists("fast:c:k")).isFalse();
        assertThat(b.get("k", () -> "reloaded")).isEqualTo("reloaded");
    }

    @Test
    void aClearOwedToRedisIsPaidWhenItAnswersAgain() {
        TieredCache cache = engine.instance("c", leased().build());
        cache.put("k1", 1);
        cache.put("k2", 2);
        engine.redis.down(true);
        cache.clear();
        engine.redis.down(false);
        assertThat(engine.redis.exists("fast:c:k1")).isFalse();
        assertThat(engine.redis.exists("fast:c:k2")).isFalse();
    }

    @Test
    void aDeleteLostWithoutAnOutageIsRetriedWithBackoffUntilRedisTakesIt() {
        TieredCache a = engine.instance("c", leased().build());
        a.put("k", "old");
        engine.redis.losing(true);
        a.put("k", "new");
        assertThat(engine.redis.exists("fast:c:k")).as("the replaced value is still in Redis").isTrue();
        // Retries after 50, 100, 200, 400, 500, 500 ms ... all refused while Redis loses commands.
        engine.time.advance(Duration.ofSeconds(2));
        assertThat(engine.redis.exists("fast:c:k")).isTrue();
        engine.redis.losing(false);
        engine.time.advance(Duration.ofMillis(499));
        assertThat(engine.redis.exists("fast:c:k")).as("paid by the next retry, within 500 ms").isFalse();
        long commands = engine.redis.commands.get();
        engine.time.advance(Duration.ofSeconds(5));
        assertThat(engine.redis.commands.get()).as("no retry once paid").isEqualTo(commands);
    }
}
