package io.github.multitiercache.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.cache.Cache.ValueWrapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's read, write and load paths against the in-memory twin of Redis and a fake clock,
 * for every configuration of the tiers (L1 on/off, L2 on/off, hot keys on/off, stampede on/off),
 * the way Caffeine's tests run each behaviour over each cache specification. Runs in well under a
 * second and needs no Redis; the real-Redis tests cover integration and faults.
 */
class EngineContractTests {

    /** One configuration of a cache. */
    record Spec(boolean l1, boolean l2, boolean hotKeys, boolean stampede) {

        CacheSettings settings() {
            return CacheSettings.defaults().toBuilder()
                    .l1Enabled(l1).l2Enabled(l2).ttlJitter(0)
                    .l1Ttl(Duration.ofSeconds(30)).l2Ttl(Duration.ofMinutes(10)).nullTtl(Duration.ofSeconds(5))
                    .hotKeys(hotKeys ? new HotKeySettings(Duration.ofSeconds(1), 10, 16, 1024)
                            : HotKeySettings.defaults())
                    .stampede(new StampedeSettings(stampede, Duration.ofSeconds(10), Duration.ofSeconds(2),
                            StampedeSettings.OnTimeout.LOAD))
                    .build();
        }

        @Override
        public String toString() {
            return "l1=" + l1 + " l2=" + l2 + " hotKeys=" + hotKeys + " stampede=" + stampede;
        }
    }

    static List<Spec> specs() {
        List<Spec> specs = new ArrayList<>();
        for (boolean l1 : new boolean[] { true, false }) {
            for (boolean l2 : new boolean[] { true, false }) {
                for (boolean hot : new boolean[] { true, false }) {
                    for (boolean stampede : new boolean[] { true, false }) {
                        if (l1 || l2) {
                            specs.add(new Spec(l1, l2, hot, stampede));
                        }
                    }
                }
            }
        }
        return specs;
    }

    private final FastEngine engine = new FastEngine();

    @ParameterizedTest
    @MethodSource("specs")
    void aMissLoadsOnceAndTheNextReadIsAHitFromTheFirstTierThatHoldsIt(Spec spec) {
        TieredCache cache = engine.instance("c", spec.settings());
        AtomicInteger loads = new AtomicInteger();
        assertThat(cache.get("k", () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
        assertThat(cache.get("k", () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
        assertThat(loads).hasValue(1);
        CacheStatistics statistics = cache.statistics();
        assertThat(statistics.loads()).isEqualTo(1);
        assertThat(statistics.l1Hits()).isEqualTo(spec.l1() ? 1 : 0);
        assertThat(statistics.l2Hits()).isEqualTo(spec.l1() ? 0 : 1);
        assertThat(engine.redis.exists("fast:c:k")).isEqualTo(spec.l2());
    }

    @ParameterizedTest
    @MethodSource("specs")
    void aPutIsReadBackAndAnEvictRemovesItFromEveryTier(Spec spec) {
        TieredCache cache = engine.instance("c", spec.settings());
        cache.put("k", "v");
        ValueWrapper read = cache.lookup("k");
        assertThat(read).isNotNull();
        assertThat(read.get()).isEqualTo("v");
        assertThat(cache.evict("k")).isTrue();
        assertThat(cache.lookup("k")).isNull();
        assertThat(engine.redis.exists("fast:c:k")).isFalse();
        assertThat(cache.get("k", () -> "reloaded")).isEqualTo("reloaded");
    }

    @ParameterizedTest
    @MethodSource("specs")
    void aClearRemovesEveryKeyOfTheCacheAndNoOther(Spec spec) {
        TieredCache cache = engine.instance("c", spec.settings());
        TieredCache neighbour = engine.instance("c2", spec.settings());
        for (int i = 0; i < 5; i++) {
            cache.put("k" + i, i);
        }
        neighbour.put("k0", "kept");
        assertThat(cache.clear()).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(cache.lookup("k" + i)).isNull();
        }
        assertThat(neighbour.lookup("k0")).extracting(ValueWrapper::get).isEqualTo("kept");
    }

    @ParameterizedTest
    @MethodSource("specs")
    void aNullIsCachedForTheNullTtlOnly(Spec spec) {
        TieredCache cache = engine.instance("c", spec.settings());
        AtomicInteger loads = new AtomicInteger();
        Callable<@Nullable String> nothing = () -> {
            loads.incrementAndGet();
            return null;
        };
        String loaded = cache.get("k", nothing);
        assertThat(loaded).isNull();
        ValueWrapper cached = cache.lookup("k");
        assertThat(cached).isNotNull();
        assertThat(cached.get()).isNull();
        engine.time.advance(Duration.ofSeconds(6));
        assertThat(cache.lookup("k")).isNull();
        assertThat(cache.get("k", () -> "now " + loads.incrementAndGet())).isEqualTo("now 2");
    }

    @ParameterizedTest
    @MethodSource("specs")
    void aValueExpiresWithItsTtlInEveryTier(Spec spec) {
        TieredCache cache = engine.instance("c", spec.settings());
        cache.put("k", "v");
        engine.time.advance(spec.l2() ? Duration.ofMinutes(10) : Duration.ofSeconds(30));
        assertThat(cache.lookup("k")).isNull();
    }

    @ParameterizedTest
    @MethodSource("specs")
    void anL1CopyNeverOutlivesTheRedisEntryItWasFilledFrom(Spec spec) {
        TieredCache writer = engine.instance("c", spec.settings().toBuilder().l2Ttl(Duration.ofSeconds(3)).build());
        TieredCache reader = engine.instance("c", spec.settings());
        writer.put("k", "v");
        engine.time.advance(Duration.ofSeconds(2));
        ValueWrapper read = reader.lookup("k");
        if (!spec.l2()) {
            assertThat(read).as("without Redis nothing is shared").isNull();
            return;
        }
        assertThat(read).extracting(ValueWrapper::get).isEqualTo("v");
        engine.time.advance(Duration.ofMillis(1_001));
        assertThat(reader.lookup("k")).isNull();
    }

    @ParameterizedTest
    @MethodSource("specs")
    void aPutOnOneInstanceIsSeenByAnotherThatHadTheOldValue(Spec spec) {
        TieredCache a = engine.instance("c", spec.settings());
        TieredCache b = engine.instance("c", spec.settings());
        a.put("k", "old");
        b.get("k", () -> "old");
        a.put("k", "new");
        assertThat(b.get("k", () -> "loaded by b")).isEqualTo(spec.l2() ? "new" : "loaded by b");
    }

    @ParameterizedTest
    @MethodSource("specs")
    void aKeyWithoutAStableTextFormIsCachedInL1OnlyAndNeverReachesRedis(Spec spec) {
        TieredCache cache = engine.instance("c", spec.settings());
        Object key = new Object();
        AtomicInteger loads = new AtomicInteger();
        cache.get(key, loads::incrementAndGet);
        cache.get(key, loads::incrementAndGet);
        assertThat(loads).hasValue(spec.l1() ? 1 : 2);
        assertThat(engine.redis.commands).hasValue(0);
    }

    @ParameterizedTest
    @MethodSource("specs")
    void whileTheStoreIsDownCallersAreServedByTheLoaderWithoutAnException(Spec spec) {
        TieredCache cache = engine.instance("c", spec.settings());
        engine.redis.down(true);
        assertThat(cache.get("k", () -> "loaded")).isEqualTo("loaded");
        cache.put("p", "v");
        assertThat(cache.evict("p")).isEqualTo(spec.l1());
        assertThat(cache.lookup("absent")).isNull();
    }
}
