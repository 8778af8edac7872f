package io.github.multitiercache.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.Cache.ValueWrapper;

import static io.github.multitiercache.core.FastEngine.leased;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Bulk reads ({@code getAll}) against the in-memory twin of Redis: L1 first, one batched Redis read,
 * one loader call with exactly the missing keys, leases for the whole batch, one batched store, and
 * each key shared with the single-key path and counted as a single read.
 */
class EngineBulkReadTests {

    private final FastEngine engine = new FastEngine();
    private final List<Set<String>> calls = new ArrayList<>();

    /** A loader that records the keys it is given and returns {@code v-<key>} for each, except those in {@code absent}. */
    private Function<Set<String>, Map<String, String>> loader(String... absent) {
        return keys -> {
            calls.add(keys);
            Map<String, String> values = new LinkedHashMap<>();
            keys.stream().filter(key -> !List.of(absent).contains(key)).forEach(key -> values.put(key, "v-" + key));
            return values;
        };
    }

    @Test
    void readsL1ThenRedisOnceThenCallsTheLoaderOnceWithExactlyTheMissingKeysInRequestOrder() {
        TieredCache cache = engine.instance("c", leased().build());
        cache.get("a", () -> "v-a");
        long now = engine.now();
        engine.redis.write("fast:c:b", new StoredEntry("v-b", now, now + 60_000, 0), 60_000);
        int before = engine.redis.commands.get();

        Map<String, String> values = cache.getAll(List.of("d", "a", "c", "b", "a"), loader());

        assertThat(values).containsExactly(Map.entry("d", "v-d"), Map.entry("a", "v-a"), Map.entry("c", "v-c"),
                Map.entry("b", "v-b"));
        assertThat(calls).containsExactly(Set.of("d", "c"));
        assertThat(calls.get(0)).containsExactly("d", "c");
        // One read of b, c, d that also takes the leases of c and d; their token-checked store.
        assertThat(engine.redis.commands.get() - before).isEqualTo(2);
        assertThat(engine.redis.exists("{fast:c:c}:lock")).isFalse();
        assertThat(engine.redis.entry("fast:c:d")).extracting(StoredEntry::value).isEqualTo("v-d");
    }

    @Test
    void aMixedReadOfAHundredKeysCostsOneReadAndOneWriteRoundTripWithTheLease() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());
        List<Integer> ids = java.util.stream.IntStream.range(0, 100).boxed().toList();
        a.getAll(ids.subList(0, 50), numbers("first"));
        b.getAll(ids.subList(50, 80), numbers("first"));
        List<Set<Integer>> loads = new ArrayList<>();
        int before = engine.redis.commands.get();

        Map<Integer, String> values = a.getAll(ids, keys -> {
            loads.add(keys);
            return numbers("second").apply(keys);
        });

        assertThat(values.keySet()).containsExactlyElementsOf(ids);
        assertThat(values).containsEntry(10, "first-10").containsEntry(60, "first-60").containsEntry(90, "second-90");
        assertThat(loads).containsExactly(Set.copyOf(ids.subList(80, 100)));
        assertThat(engine.redis.commands.get() - before).isEqualTo(2);
        assertThat(a.stampedeStatistics().lockAcquisitions()).isEqualTo(50 + 20);
        assertThat(engine.redis.exists("{fast:c:90}:lock")).isFalse();
    }

    @Test
    void withFailSafeAnEntryPastItsExpiryIsLeasedInTheReadAndItsStaleValueKeptForAFailure() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(1))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO)).build());
        cache.getAll(List.of("a", "b"), loader());
        engine.time.advance(Duration.ofSeconds(2));
        long now = engine.now();
        engine.redis.write("fast:c:b", new StoredEntry("v-b", now, now + 60_000, 0), 60_000);
        int before = engine.redis.commands.get();

        Map<String, String> values = cache.getAll(List.of("a", "b"), keys -> {
            calls.add(keys);
            throw new IllegalStateException("database down");
        });

        assertThat(values).containsExactly(Map.entry("a", "v-a"), Map.entry("b", "v-b"));
        assertThat(calls).containsExactly(Set.of("a", "b"), Set.of("a"));
        // The read, which leased a (expired) and served b (fresh); the release of a's lease.
        assertThat(engine.redis.commands.get() - before).isEqualTo(2);
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(1);
        assertThat(engine.redis.exists("{fast:c:a}:lock")).isFalse();
    }

    @Test
    void afterAReadThatFoundEveryKeyTheNextReadsWithAPlainMgetAndLeasesWhatItMissesSeparately() {
        TieredCache a = engine.instance("c", leased().l1Enabled(false).build());
        a.getAll(List.of("x", "y"), loader());
        a.getAll(List.of("x", "y"), loader());
        int before = engine.redis.commands.get();

        a.getAll(List.of("x", "y"), loader());
        int allFound = engine.redis.commands.get() - before;
        a.getAll(List.of("x", "z"), loader());
        int firstMiss = engine.redis.commands.get() - before - allFound;
        a.getAll(List.of("x", "w"), loader());
        int nextMiss = engine.redis.commands.get() - before - allFound - firstMiss;

        assertThat(allFound).isEqualTo(1);
        // MGET, then the lease of z, then its store; the next read takes its leases as it reads.
        assertThat(firstMiss).isEqualTo(3);
        assertThat(nextMiss).isEqualTo(2);
        assertThat(calls).containsExactly(Set.of("x", "y"), Set.of("z"), Set.of("w"));
    }

    @Test
    void withoutTheLeaseAKeyAnotherReadOfThisJvmIsLoadingIsAwaitedNotLoadedAgain() throws Exception {
        TieredCache cache = engine.instance("c", CacheSettings.defaults().toBuilder().ttlJitter(0)
                .stampede(new StampedeSettings(false, Duration.ofSeconds(10), Duration.ofSeconds(2),
                        StampedeSettings.OnTimeout.LOAD)).build());
        List<Set<String>> loads = new CopyOnWriteArrayList<>();
        CountDownLatch firstLoading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            Future<Map<String, String>> first = threads.submit(() -> cache.getAll(List.of("a", "b", "c"), keys -> {
                loads.add(keys);
                firstLoading.countDown();
                awaitQuietly(release);
                return Map.of("a", "v-a", "b", "v-b", "c", "v-c");
            }));
            assertThat(firstLoading.await(5, TimeUnit.SECONDS)).isTrue();
            Future<Map<String, String>> second = threads.submit(() -> cache.getAll(List.of("b", "c", "d"), keys -> {
                loads.add(keys);
                return Map.of("b", "again", "c", "again", "d", "v-d");
            }));
            Future<Object> single = threads.submit(() -> cache.get("c", () -> "loaded singly"));
            await().atMost(Duration.ofSeconds(5)).until(() -> loads.size() == 2);
            release.countDown();

            assertThat(first.get(5, TimeUnit.SECONDS)).containsExactly(Map.entry("a", "v-a"), Map.entry("b", "v-b"),
                    Map.entry("c", "v-c"));
            assertThat(second.get(5, TimeUnit.SECONDS)).containsExactly(Map.entry("b", "v-b"), Map.entry("c", "v-c"),
                    Map.entry("d", "v-d"));
            assertThat(single.get(5, TimeUnit.SECONDS)).isEqualTo("v-c");
            assertThat(loads).containsExactly(Set.of("a", "b", "c"), Set.of("d"));
        }
        finally {
            release.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void withoutTheLeaseAFailedLoadReachesTheReadsThatAwaitedItsKeys() throws Exception {
        TieredCache cache = engine.instance("c", CacheSettings.defaults().toBuilder()
                .stampede(new StampedeSettings(false, Duration.ofSeconds(10), Duration.ofSeconds(2),
                        StampedeSettings.OnTimeout.LOAD)).build());
        CountDownLatch firstLoading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Set<String>> loads = new CopyOnWriteArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<Map<String, String>> first = threads.submit(() -> cache.getAll(List.of("a"), keys -> {
                firstLoading.countDown();
                awaitQuietly(release);
                throw new IllegalStateException("database down");
            }));
            assertThat(firstLoading.await(5, TimeUnit.SECONDS)).isTrue();
            Future<Map<String, String>> second = threads.submit(() -> cache.getAll(List.of("a", "b"), keys -> {
                loads.add(keys);
                return Map.of("a", "again", "b", "v-b");
            }));
            await().atMost(Duration.ofSeconds(5)).until(() -> loads.size() == 1);
            release.countDown();

            assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("database down");
            assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("database down");
            assertThat(loads).containsExactly(Set.of("b"));
        }
        finally {
            release.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void aBulkLoadSlowerThanTheSoftTimeoutServesTheExpiredValuesAndIsStoredInTheBackground() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(1))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ofMillis(200), Duration.ZERO))
                .build());
        cache.getAll(List.of("a", "b"), loader());
        engine.time.advance(Duration.ofSeconds(2));

        Map<String, String> served = cache.getAll(List.of("a", "b"), keys -> {
            engine.time.advance(Duration.ofMillis(300));
            return Map.of("a", "new-a", "b", "new-b");
        });

        assertThat(served).containsExactly(Map.entry("a", "v-a"), Map.entry("b", "v-b"));
        assertThat(cache.stampedeStatistics().softTimeouts()).isEqualTo(1);
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(2);
        assertThat(cache.getAll(List.of("a", "b"), keys -> {
            throw new AssertionError("the slow load was stored");
        })).containsExactly(Map.entry("a", "new-a"), Map.entry("b", "new-b"));

        // A key without an expired value to serve: the call waits for its load, however slow.
        engine.time.advance(Duration.ofSeconds(2));
        assertThat(cache.getAll(List.of("a", "c"), keys -> {
            engine.time.advance(Duration.ofMillis(300));
            return Map.of("a", "newer-a", "c", "v-c");
        })).containsExactly(Map.entry("a", "newer-a"), Map.entry("c", "v-c"));
        assertThat(cache.stampedeStatistics().softTimeouts()).isEqualTo(1);
    }

    @Test
    void aBulkLoadSlowerThanTheHardTimeoutFailsTheCallAndIsStillStored() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false)
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ZERO, Duration.ofSeconds(2)))
                .build());

        assertThatThrownBy(() -> cache.getAll(List.of("a", "b"), keys -> {
            engine.time.advance(Duration.ofMillis(2_500));
            return Map.of("a", "v-a", "b", "v-b");
        })).isInstanceOf(ValueRetrievalException.class)
                .hasCauseInstanceOf(io.github.multitiercache.core.stampede.LoadWaitTimeoutException.class);

        assertThat(cache.stampedeStatistics().hardTimeouts()).isEqualTo(1);
        assertThat(cache.getAll(List.of("a", "b"), keys -> {
            throw new AssertionError("the slow load was stored");
        })).containsExactly(Map.entry("a", "v-a"), Map.entry("b", "v-b"));
        assertThat(cache.getAll(List.of("c"), loader())).containsExactly(Map.entry("c", "v-c"));
        assertThat(cache.stampedeStatistics().hardTimeouts()).isEqualTo(1);
    }

    @Test
    void keysOfABulkReadCloseToTheirExpiryAreRefreshedTogetherByOneLoaderCall() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(10))
                .refresh(new RefreshSettings(RefreshSettings.Mode.FIXED, 0.5, 1.0)).build());
        cache.getAll(List.of("a", "b", "c"), loader());
        engine.time.advance(Duration.ofSeconds(3));
        cache.getAll(List.of("a", "b", "c"), loader());
        assertThat(calls).as("not due before half the TTL").hasSize(1);
        engine.time.advance(Duration.ofSeconds(3));
        int before = engine.redis.commands.get();

        Map<String, String> served = cache.getAll(List.of("a", "b", "c"), keys -> {
            calls.add(keys);
            return Map.of("a", "new-a", "b", "new-b", "c", "new-c");
        });

        assertThat(served).containsExactly(Map.entry("a", "v-a"), Map.entry("b", "v-b"), Map.entry("c", "v-c"));
        assertThat(calls).containsExactly(Set.of("a", "b", "c"), Set.of("a", "b", "c"));
        assertThat(cache.stampedeStatistics().refreshes()).isEqualTo(3);
        // The read, the three refresh leases (pipelined), the token-checked store of the three values.
        assertThat(engine.redis.commands.get() - before).isEqualTo(1 + 3 + 1);
        assertThat(engine.redis.entry("fast:c:b")).extracting(StoredEntry::value).isEqualTo("new-b");
        assertThat(engine.redis.entry("fast:c:b").expiresAtEpochMillis()).isEqualTo(engine.now() + 10_000);
        assertThat(engine.redis.exists("{fast:c:b}:lock")).isFalse();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static Function<Set<Integer>, Map<Integer, String>> numbers(String prefix) {
        return keys -> {
            Map<Integer, String> values = new LinkedHashMap<>();
            keys.forEach(key -> values.put(key, prefix + "-" + key));
            return values;
        };
    }

    @Test
    void withoutTheLeaseTheLoadedValuesAreWrittenInOneBatchEachWithItsOwnJitteredTtl() {
        TieredCache cache = engine.instance("c", CacheSettings.defaults().toBuilder().l2Ttl(Duration.ofMinutes(10))
                .ttlJitter(0.2).stampede(new StampedeSettings(false, Duration.ofSeconds(10), Duration.ofSeconds(2),
                        StampedeSettings.OnTimeout.LOAD)).build());
        int before = engine.redis.commands.get();

        cache.getAll(List.of("a", "b", "c", "d", "e", "f"), loader());

        assertThat(engine.redis.commands.get() - before).isEqualTo(2);
        List<Long> expiries = List.of("a", "b", "c", "d", "e", "f").stream()
                .map(key -> engine.redis.entry("fast:c:" + key).expiresAtEpochMillis()).distinct().toList();
        assertThat(expiries).hasSizeGreaterThan(1).allSatisfy(expiry -> assertThat(expiry - engine.now())
                .isBetween(Duration.ofMinutes(8).toMillis(), Duration.ofMinutes(12).toMillis()));
    }

    @Test
    void bulkAndSingleKeyReadsShareEntriesBothWays() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());
        assertThat(a.get("one", () -> "v-one")).isEqualTo("v-one");

        assertThat(b.getAll(List.of("one", "two"), loader())).containsExactly(Map.entry("one", "v-one"),
                Map.entry("two", "v-two"));
        assertThat(calls).containsExactly(Set.of("two"));
        assertThat(a.get("two", () -> "loaded singly")).isEqualTo("v-two");
        assertThat(b.lookup("two")).extracting(ValueWrapper::get).isEqualTo("v-two");
    }

    @Test
    void keysTheLoaderLeavesOutAreCachedAsNullsAndAbsentFromTheResult() {
        TieredCache cache = engine.instance("c", leased().build());

        assertThat(cache.getAll(List.of("a", "gone"), loader("gone"))).containsOnlyKeys("a");
        assertThat(cache.getAll(List.of("a", "gone"), loader("gone"))).containsOnlyKeys("a");

        assertThat(calls).containsExactly(Set.of("a", "gone"));
        assertThat(cache.lookup("gone")).isNotNull().extracting(ValueWrapper::get).isNull();
        assertThat(engine.redis.entry("fast:c:gone")).extracting(StoredEntry::value).isNull();
    }

    @Test
    void keysTheLoaderLeavesOutAreLoadedAgainWhereNullsAreNotCached() {
        TieredCache cache = engine.instance("c", leased().cacheNullValues(false).build());

        cache.getAll(List.of("a", "gone"), loader("gone"));
        cache.getAll(List.of("a", "gone"), loader("gone"));

        assertThat(calls).containsExactly(Set.of("a", "gone"), Set.of("gone"));
        assertThat(engine.redis.exists("fast:c:gone")).isFalse();
        assertThat(engine.redis.exists("{fast:c:gone}:lock")).isFalse();
    }

    @Test
    void aKeyAnotherInstanceIsLoadingIsWaitedForNotLoadedAgain() {
        TieredCache cache = engine.instance("c", leased().build());
        engine.redis.holdLease("fast:c:b", Duration.ofSeconds(10));
        engine.redis.onWait(() -> {
            long now = engine.now();
            engine.redis.completeLoad("fast:c:b", new StoredEntry("from the owner", now, now + 60_000, 5), 60_000);
        });

        assertThat(cache.getAll(List.of("a", "b"), loader())).containsExactly(Map.entry("a", "v-a"),
                Map.entry("b", "from the owner"));

        assertThat(calls).containsExactly(Set.of("a"));
        assertThat(cache.stampedeStatistics().lockWaits()).isEqualTo(1);
        assertThat(cache.stampedeStatistics().waitHits()).isEqualTo(1);
        assertThat(cache.lookup("b")).extracting(ValueWrapper::get).isEqualTo("from the owner");
    }

    @Test
    void aLeaseWhoseOwnerDiedIsTakenOverByASecondLoaderCallForItsKeysOnly() {
        TieredCache cache = engine.instance("c", leased().build());
        engine.redis.holdLease("fast:c:b", Duration.ofMillis(300));

        assertThat(cache.getAll(List.of("a", "b"), loader())).containsOnlyKeys("a", "b");

        assertThat(calls).containsExactly(Set.of("a"), Set.of("b"));
        assertThat(cache.stampedeStatistics().takeovers()).isEqualTo(1);
        assertThat(engine.redis.exists("{fast:c:b}:lock")).isFalse();
    }

    @Test
    void aLoadOvertakenByAPutOnAnotherInstanceDoesNotOverwriteIt() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());

        Map<String, String> values = a.getAll(List.of("k", "other"), keys -> {
            b.put("k", "newer");
            return Map.of("k", "older", "other", "v-other");
        });

        assertThat(values).containsEntry("k", "older");
        assertThat(a.stampedeStatistics().rejectedStores()).isEqualTo(1);
        assertThat(engine.redis.entry("fast:c:k")).extracting(StoredEntry::value).isEqualTo("newer");
        assertThat(engine.redis.entry("fast:c:other")).extracting(StoredEntry::value).isEqualTo("v-other");
        assertThat(a.lookup("k")).extracting(ValueWrapper::get).isEqualTo("newer");
    }

    @Test
    void aLoaderFailureReleasesEveryLeaseAndReachesTheCaller() {
        TieredCache cache = engine.instance("c", leased().build());

        assertThatThrownBy(() -> cache.getAll(List.of("a", "b"), keys -> {
            throw new IllegalStateException("database down");
        })).isInstanceOf(ValueRetrievalException.class).hasRootCauseMessage("database down");

        assertThat(engine.redis.exists("{fast:c:a}:lock")).isFalse();
        assertThat(engine.redis.exists("{fast:c:b}:lock")).isFalse();
        assertThat(cache.statistics().loadFailures()).isEqualTo(2);
    }

    @Test
    void failSafeServesTheExpiredValuesWhenTheLoaderFails() {
        TieredCache cache = engine.instance("c", leased().l1Enabled(false).l2Ttl(Duration.ofSeconds(1))
                .failSafe(new FailSafeSettings(true, Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO)).build());
        cache.getAll(List.of("a", "b"), loader());
        engine.time.advance(Duration.ofSeconds(2));

        Map<String, String> values = cache.getAll(List.of("a", "b"), keys -> {
            throw new IllegalStateException("database down");
        });

        assertThat(values).containsExactly(Map.entry("a", "v-a"), Map.entry("b", "v-b"));
        assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(2);
    }

    @Test
    void redisDownServesFromL1AndTheLoaderWithoutAnException() {
        TieredCache cache = engine.instance("c", leased().build());
        cache.getAll(List.of("a"), loader());
        engine.redis.down(true);

        assertThat(cache.getAll(List.of("a", "b", "c"), loader())).containsExactly(Map.entry("a", "v-a"),
                Map.entry("b", "v-b"), Map.entry("c", "v-c"));
        assertThat(calls).containsExactly(Set.of("a"), Set.of("b", "c"));
        assertThat(cache.lookup("b")).extracting(ValueWrapper::get).isEqualTo("v-b");
    }

    @Test
    void eachKeyIsCountedAsASingleReadCountsIt() {
        TieredCache cache = engine.instance("c", leased().build());
        cache.get("a", () -> "v-a");
        long now = engine.now();
        engine.redis.write("fast:c:b", new StoredEntry("v-b", now, now + 60_000, 0), 60_000);
        CacheStatistics before = cache.statistics();
        long l1Hits = before.l1Hits();
        long l1Misses = before.l1Misses();
        long misses = before.misses();

        cache.getAll(List.of("a", "b", "c", "d"), loader());

        CacheStatistics after = cache.statistics();
        assertThat(after.l1Hits() - l1Hits).isEqualTo(1);
        assertThat(after.l1Misses() - l1Misses).isEqualTo(3);
        assertThat(after.l2Hits()).isEqualTo(1);
        assertThat(after.misses() - misses).isEqualTo(2);
        assertThat(after.loads()).isEqualTo(3);
    }

    @Test
    void withoutALoaderOnlyWhatIsCachedIsReturned() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());
        a.getAll(List.of("x", "gone"), loader("gone"));

        assertThat(b.getAll(List.of("y", "gone", "x"))).containsExactly(Map.entry("x", "v-x"));
        assertThat(engine.redis.exists("fast:c:y")).isFalse();
        assertThat(engine.redis.exists("{fast:c:y}:lock")).isFalse();
    }
}
