package io.github.multitiercache.core;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.testsupport.RedisCluster;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static io.github.multitiercache.core.HotKeyPinningTests.readUntilHot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hot-key replication on a real 3-master Redis Cluster started from {@code redis-server}. Caches
 * here keep no L1 and pin nothing, so that every read goes to Redis and can be counted per master.
 */
class HotKeyReplicationClusterTests {

    private static final RedisCluster cluster = RedisCluster.shared();

    private static final Pattern GET_CALLS = Pattern.compile("cmdstat_get:calls=(\\d+)");

    static final CacheSettings REPLICATED = CacheSettings.defaults().toBuilder()
            .l1Enabled(false).l2Ttl(Duration.ofMinutes(10)).ttlJitter(0)
            .hotKeys(new HotKeySettings(true, Duration.ofSeconds(1), 100, 8, 1024, Duration.ZERO, 3))
            .build();

    private static Map<Integer, Long> getCallsPerMaster() {
        Map<Integer, Long> calls = new LinkedHashMap<>();
        for (RedisServer node : cluster.nodes()) {
            Matcher matcher = GET_CALLS.matcher(String.valueOf(node.command("INFO", "commandstats")));
            calls.put(node.port(), matcher.find() ? Long.parseLong(matcher.group(1)) : 0);
        }
        return calls;
    }

    private static void resetStats() {
        for (RedisServer node : cluster.nodes()) {
            node.command("CONFIG", "RESETSTAT");
        }
    }

    static Object raw(String key) {
        return cluster.nodeForKey(key).command("GET", key);
    }

    /** Puts a value, again if the first write timed out (a fresh cluster connection is slow to start). */
    static void putUntilStored(TieredCache cache, String key, String value) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            cache.put(key, value);
            return cache.lookup(key) != null;
        });
    }

    static void readUntilReplicated(TieredCache cache, String key) {
        readUntilHot(cache, key);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (int i = 0; i < 50; i++) {
                cache.lookup(key);
            }
            return cache.insight().hotKeys().stream().anyMatch(hot -> hot.key().equals(key) && hot.replicated());
        });
    }

    @Test
    void replicasLieOnEveryMasterAndReadsOfAHotKeyAreSpreadOverThem() {
        try (TestRedis engine = TestRedis.cluster(cluster.nodeAddresses(), "hs")) {
            TieredCache cache = engine.cache("profiles", REPLICATED);
            putUntilStored(cache, "celebrity", "v1");
            assertThat(cache.insight().hotKeyReplicas()).isEqualTo(3);
            List<String> replicas = cache.insight().replicaKeysOf("celebrity");
            assertThat(replicas).allSatisfy(key -> assertThat(key).startsWith("hs:profiles%hot{"));
            assertThat(replicas.stream().map(key -> cluster.nodeForKey(key).port()).distinct())
                    .as("one replica per master").hasSize(3);

            readUntilReplicated(cache, "celebrity");
            assertThat(replicas).allSatisfy(key -> assertThat(raw(key)).isEqualTo(raw("hs:profiles:celebrity")));

            resetStats();
            int reads = 3_000;
            for (int i = 0; i < reads; i++) {
                assertThat(cache.lookup("celebrity").get()).isEqualTo("v1");
            }
            Map<Integer, Long> calls = getCallsPerMaster();
            long busiest = calls.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            long leastBusy = calls.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            assertThat(calls.values().stream().mapToLong(Long::longValue).sum()).isBetween((long) reads, reads + 50L);
            assertThat(leastBusy).as("GETs per master: %s", calls).isPositive();
            assertThat((double) busiest / leastBusy).as("GETs per master: %s", calls).isLessThanOrEqualTo(1.5);
            assertThat(cache.insight().hotKeyStatistics().replicaHits()).isGreaterThanOrEqualTo(reads);
        }
    }

    @Test
    void aPutIsVisibleOnEveryReplicaAndAnEvictOrClearLeavesNoReplicaBehind() {
        try (TestRedis engine = TestRedis.cluster(cluster.nodeAddresses(), "hw")) {
            TieredCache cache = engine.cache("products", REPLICATED);
            putUntilStored(cache, "flash-sale", "v1");
            readUntilReplicated(cache, "flash-sale");
            List<String> replicas = cache.insight().replicaKeysOf("flash-sale");

            cache.put("flash-sale", "v2");
            Object primary = raw("hw:products:flash-sale");
            assertThat(replicas).allSatisfy(key -> assertThat(raw(key)).isEqualTo(primary));
            for (int i = 0; i < 30; i++) {
                assertThat(cache.lookup("flash-sale").get()).isEqualTo("v2");
            }
            long ttl = ((Number) cluster.nodeForKey(replicas.get(0)).command("PTTL", replicas.get(0))).longValue();
            assertThat(ttl).as("replicas carry the key's TTL").isBetween(Duration.ofMinutes(9).toMillis(),
                    Duration.ofMinutes(10).toMillis());

            assertThat(cache.evict("flash-sale")).isTrue();
            assertThat(raw("hw:products:flash-sale")).isNull();
            assertThat(replicas).allSatisfy(key -> assertThat(raw(key)).as(key).isNull());
            assertThat(cache.lookup("flash-sale")).isNull();

            cache.put("flash-sale", "v3");
            assertThat(replicas).allSatisfy(key -> assertThat(raw(key)).isNotNull());
            cache.clear();
            assertThat(replicas).allSatisfy(key -> assertThat(raw(key)).as(key).isNull());
        }
    }

    @Test
    void announcedKeysAreReadFromReplicasAndAWriterUnawareOfTheHotKeyLeavesNoStaleReplica() throws Exception {
        try (TestRedis instanceA = instance(); TestRedis instanceB = instance(); TestRedis instanceC = instance()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> instanceA.busReady() && instanceB.busReady() && instanceC.busReady());
            TieredCache onA = instanceA.cache("shared", REPLICATED);
            TieredCache onB = instanceB.cache("shared", REPLICATED);
            TieredCache onUnaware = instanceC.cache("shared",
                    REPLICATED.toBuilder().hotKeys(REPLICATED.hotKeys().disabled()).build());
            putUntilStored(onA, "k", "v1");
            readUntilReplicated(onB, "k");
            // B keeps reading (and announcing) the key; A reads it too slowly to find it hot itself.
            AtomicBoolean reading = new AtomicBoolean(true);
            Thread reader = new Thread(() -> {
                while (reading.get()) {
                    onB.lookup("k");
                    LockSupport.parkNanos(200_000);
                }
            });
            reader.start();
            try {
                long replicaHits = onA.insight().hotKeyStatistics().replicaHits();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    for (int i = 0; i < 3; i++) {
                        assertThat(onA.lookup("k").get()).isEqualTo("v1");
                    }
                    return onA.insight().hotKeyStatistics().replicaHits() - replicaHits >= 10;
                });
                assertThat(onA.insight().hotKeys()).singleElement().satisfies(hot -> {
                    assertThat(hot.announced()).isTrue();
                    assertThat(hot.local()).isFalse();
                });
            }
            finally {
                reading.set(false);
                reader.join();
            }

            // An instance that does not know the key is hot writes the key alone; the instances
            // that do drop the replicas when its invalidation arrives.
            onUnaware.put("k", "v2");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                for (int i = 0; i < 30; i++) {
                    assertThat(onA.lookup("k").get()).isEqualTo("v2");
                    assertThat(onB.lookup("k").get()).isEqualTo("v2");
                }
            });
        }
    }

    /** One application instance on the cluster, with its invalidation bus. */
    private static TestRedis instance() {
        return TestRedis.cluster(cluster.nodeAddresses(), "ha").withBus(Duration.ofMillis(200), Duration.ofSeconds(2));
    }
}
