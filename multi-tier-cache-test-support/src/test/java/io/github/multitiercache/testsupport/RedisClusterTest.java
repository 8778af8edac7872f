package io.github.multitiercache.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RedisClusterTest {

    private static TestClients clients;

    private static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        clients = new TestClients();
        cluster = RedisCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
        clients.close();
    }

    @Test
    void threeMastersFormAHealthyClusterOnLoopbackAddresses() {
        assertThat(cluster.nodes()).hasSize(3);
        assertThat(cluster.nodeAddresses()).hasSize(3)
                .allSatisfy(address -> assertThat(address).startsWith("127.0.0.1:").isNotEqualTo("127.0.0.1:6379"));
        for (RedisServer node : cluster.nodes()) {
            String info = String.valueOf(node.command("CLUSTER", "INFO"));
            assertThat(info).contains("cluster_state:ok", "cluster_slots_assigned:16384", "cluster_known_nodes:3");
        }
        assertThat(cluster.slotRanges()).containsValues("0-5460", "5461-10921", "10922-16383");
    }

    @Test
    void slotForKeyMatchesClusterKeyslotIncludingHashTags() {
        assertThat(RedisCluster.slotForKey("foo")).isEqualTo(12182);
        assertThat(RedisCluster.slotForKey("{user1000}.following"))
                .isEqualTo(RedisCluster.slotForKey("user1000"));
        RedisServer node = cluster.nodes().get(0);
        for (String key : List.of("", "a", "foo", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap",
                "foo{bar}{zap}", "{", "}{", "ümlaut:ключ", "cache::books::42")) {
            assertThat(RedisCluster.slotForKey(key)).as(key)
                    .isEqualTo(((Long) node.command("CLUSTER", "KEYSLOT", key)).intValue());
        }
    }

    @Test
    void keysWrittenThroughLettuceLandOnTheNodeThatNodeForKeyNames() {
        cluster.flushAll();
        List<RedisURI> seeds = new ArrayList<>();
        for (String uri : cluster.nodeUris()) {
            seeds.add(RedisURI.create(uri));
        }
        RedisClusterClient client = RedisClusterClient.create(clients.resources(), seeds);
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            connection.setTimeout(Duration.ofSeconds(2));
            RedisAdvancedClusterCommands<String, String> commands = connection.sync();
            for (int i = 0; i < 30; i++) {
                commands.set("key:" + i, "value:" + i);
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }

        long total = 0;
        for (RedisServer node : cluster.nodes()) {
            total += (Long) node.command("DBSIZE");
        }
        assertThat(total).isEqualTo(30);
        for (int i = 0; i < 30; i++) {
            String key = "key:" + i;
            assertThat(cluster.nodeForKey(key).command("GET", key)).as(key).isEqualTo("value:" + i);
        }
        RedisServer owner = cluster.nodeForKey("key:0");
        RedisServer other = cluster.nodes().get((cluster.nodes().indexOf(owner) + 1) % 3);
        assertThatThrownBy(() -> other.command("GET", "key:0")).hasMessageContaining("MOVED");
    }

    @Test
    void flushAllEmptiesEveryMaster() {
        for (int i = 0; i < 10; i++) {
            String key = "flush:" + i;
            cluster.nodeForKey(key).command("SET", key, "x");
        }

        cluster.flushAll();

        for (RedisServer node : cluster.nodes()) {
            assertThat(node.command("DBSIZE")).isEqualTo(0L);
        }
    }

    @Test
    void embeddedRedis62FormsAClusterToo() {
        try (RedisCluster old = RedisCluster.start(RedisBinary.embedded(), 3)) {
            for (RedisServer node : old.nodes()) {
                assertThat(node.info("server")).contains("redis_version:6.2");
                assertThat(String.valueOf(node.command("CLUSTER", "INFO"))).contains("cluster_state:ok");
            }
            String key = "{tag}:key";
            assertThat(old.nodeForKey(key).command("SET", key, "v")).isEqualTo("OK");
            assertThat(old.nodeForKey(key).command("GET", key)).isEqualTo("v");
        }
    }

    @Test
    void aKilledAndRestartedNodeRejoinsWithItsSlotsButNoData() {
        RedisServer node = cluster.nodes().get(1);
        String key = "rejoin:0";
        for (int i = 1; cluster.nodeForKey(key) != node; i++) {
            key = "rejoin:" + i;
        }
        String nodeId = String.valueOf(node.command("CLUSTER", "MYID"));
        node.command("SET", key, "v");

        node.kill();
        node.restart();
        cluster.awaitClusterOk();

        assertThat(node.command("CLUSTER", "MYID")).isEqualTo(nodeId);
        assertThat(node.command("GET", key)).isNull();
        assertThat(node.command("SET", key, "again")).isEqualTo("OK");
    }
}
