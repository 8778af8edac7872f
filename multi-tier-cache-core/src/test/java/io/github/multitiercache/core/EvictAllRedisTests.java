package io.github.multitiercache.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

import io.github.multitiercache.testsupport.RedisCluster;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code evictAll} against real Redis, standalone and a 3-master cluster: what crosses the network
 * for a hundred keys (seen with {@code MONITOR}, or counted with {@code INFO commandstats}), the
 * other instance's L1 told over the invalidation bus, and a hot key's replicas deleted on a cluster.
 */
class EvictAllRedisTests {

    private static final List<Integer> IDS = IntStream.range(0, 100).boxed().toList();

    @Test
    void aHundredKeysOnStandaloneCostOneUnlinkAndOnePublishAndLeaveTheOtherInstancesL1() throws Exception {
        try (RedisServer redis = RedisServer.start();
                TestRedis one = TestRedis.standalone(redis.port(), "eva").withBus(Duration.ofMinutes(1),
                        Duration.ofMinutes(5));
                TestRedis two = TestRedis.standalone(redis.port(), "eva").withBus(Duration.ofMinutes(1),
                        Duration.ofMinutes(5))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> one.busReady() && two.busReady());
            BulkReadRedisTests.awaitUp(one, two);
            TieredCache a = one.cache("items", CacheSettings.defaults());
            TieredCache b = two.cache("items", CacheSettings.defaults());
            IDS.forEach(id -> a.get(id, () -> "v-" + id));
            IDS.forEach(id -> b.get(id, () -> "other-" + id));
            assertThat(b.l1Hit(42)).isNotNull();
            // A lease another instance's load holds: it goes with the value.
            redis.command("SET", "{eva:items:7}:lock", "token", "PX", "10000");

            Map<String, Long> sent = BulkReadRedisTests.clientCommands(redis, () -> a.evictAll(IDS));

            // Every lock and value in one UNLINK; every key in one message to the other instances.
            assertThat(sent).containsExactly(Map.entry("publish", 1L), Map.entry("unlink", 1L));
            assertThat(redis.command("EXISTS", "eva:items:42")).isEqualTo(0L);
            assertThat(redis.command("EXISTS", "{eva:items:7}:lock")).isEqualTo(0L);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(IDS).allSatisfy(id -> assertThat(b.l1Hit(id)).isNull()));
            assertThat(b.get(42, () -> "new-42")).isEqualTo("new-42");
        }
    }

    @Test
    void aHundredKeysOnAClusterCostOneUnlinkPerSlotSpreadOverEveryNode() {
        RedisCluster cluster = RedisCluster.shared();
        try (TestRedis one = TestRedis.cluster(cluster.nodeAddresses(), "evc")) {
            BulkReadRedisTests.awaitUp(one);
            TieredCache a = one.cache("items", CacheSettings.defaults());
            IDS.forEach(id -> a.get(id, () -> "v-" + id));
            long slots = IDS.stream().map(id -> RedisCluster.slotForKey("evc:items:" + id)).distinct().count();
            cluster.nodes().forEach(node -> node.command("CONFIG", "RESETSTAT"));

            a.evictAll(IDS);

            Map<String, Long> unlinks = new TreeMap<>();
            for (RedisServer node : cluster.nodes()) {
                unlinks.put(node.address(), BulkReadRedisTests.commandCalls(node).getOrDefault("unlink", 0L));
            }
            // A key and its lock share a slot: one UNLINK per slot names both.
            assertThat(unlinks.values()).allSatisfy(count -> assertThat(count).isPositive());
            assertThat(unlinks.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(slots);
            assertThat(IDS).allSatisfy(id -> assertThat(cluster.nodeForKey("evc:items:" + id)
                    .command("EXISTS", "evc:items:" + id)).isEqualTo(0L));
        }
    }

    @Test
    void theReplicasOfAHotKeyOnAClusterGoWithItInTheBatch() {
        RedisCluster cluster = RedisCluster.shared();
        try (TestRedis one = TestRedis.cluster(cluster.nodeAddresses(), "evh")) {
            TieredCache cache = one.cache("products", HotKeyReplicationClusterTests.REPLICATED);
            HotKeyReplicationClusterTests.putUntilStored(cache, "flash-sale", "v1");
            cache.put("other", "o1");
            HotKeyReplicationClusterTests.readUntilReplicated(cache, "flash-sale");
            List<String> replicas = cache.insight().replicaKeysOf("flash-sale");
            assertThat(replicas).hasSize(3).allSatisfy(key ->
                    assertThat(HotKeyReplicationClusterTests.raw(key)).isNotNull());

            cache.evictAll(List.of("other", "flash-sale"));

            assertThat(HotKeyReplicationClusterTests.raw("evh:products:flash-sale")).isNull();
            assertThat(HotKeyReplicationClusterTests.raw("evh:products:other")).isNull();
            assertThat(replicas).allSatisfy(key -> assertThat(HotKeyReplicationClusterTests.raw(key)).as(key).isNull());
            assertThat(cache.lookup("flash-sale")).isNull();
        }
    }
}
