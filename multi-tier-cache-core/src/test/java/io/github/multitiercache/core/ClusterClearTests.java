package io.github.multitiercache.core;

import java.util.Map;
import java.util.stream.Collectors;

import io.github.multitiercache.testsupport.RedisCluster;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cache on a real Redis Cluster of three masters started from {@code redis-server}.
 */
class ClusterClearTests {

    private static final RedisCluster cluster = RedisCluster.shared();

    private static Map<Integer, Long> keysPerMaster(String pattern) {
        return cluster.nodes().stream().collect(Collectors.toMap(RedisServer::port,
                node -> countKeys(node, pattern)));
    }

    private static long countKeys(RedisServer node, String pattern) {
        Object reply = node.command("KEYS", pattern);
        return (reply instanceof java.util.List<?> list) ? list.size() : 0;
    }

    @Test
    void clearRemovesTheCachesKeysFromEveryMasterAndLeavesOtherCaches() {
        try (TestRedis engine = TestRedis.cluster(cluster.nodeAddresses(), "c")) {
            TieredCache products = engine.cache("products", CacheSettings.defaults());
            TieredCache users = engine.cache("users", CacheSettings.defaults());
            for (int i = 0; i < 600; i++) {
                products.put(i, "p" + i);
                users.put(i, "u" + i);
            }
            assertThat(keysPerMaster("c:products:*").values()).as("keys spread over every master")
                    .allSatisfy(count -> assertThat(count).isGreaterThan(100));

            assertThat(products.clear()).isTrue();

            assertThat(keysPerMaster("c:products:*").values()).allSatisfy(count -> assertThat(count).isZero());
            assertThat(keysPerMaster("c:users:*").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(600);
            assertThat(products.get(1, () -> "reloaded")).isEqualTo("reloaded");
            assertThat(users.lookup(1).get()).isEqualTo("u1");
        }
    }

    @Test
    void readsAndWritesRouteToTheOwningMaster() {
        try (TestRedis engine = TestRedis.cluster(cluster.nodeAddresses(), "r")) {
            TieredCache cache = engine.cache("routing", CacheSettings.defaults().toBuilder().l1Enabled(false).build());
            Map<String, String> values = java.util.stream.IntStream.range(0, 50).boxed()
                    .collect(Collectors.toMap(i -> "k" + i, i -> "v" + i));
            values.forEach(cache::put);
            values.forEach((key, value) -> {
                assertThat(cache.lookup(key).get()).isEqualTo(value);
                assertThat(countKeys(cluster.nodeForKey("r:routing:" + key), "r:routing:" + key)).isEqualTo(1);
            });
            assertThat(cache.evict("k1")).isTrue();
            assertThat(cache.lookup("k1")).isNull();
        }
    }

}
