package io.github.multitiercache.core.invalidation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TestRedis;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.RedisCluster;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A failover under client-side tracking, on a 3-master cluster of its own with one replica for the
 * master of the test's key: the master is killed, its replica promoted, and an outside write to the
 * new master still drops the instance's L1 copy.
 */
class ClusterFailoverTrackingTests {

    private static final CacheSettings LONG_L1 = CacheSettings.defaults().toBuilder()
            .l1Ttl(Duration.ofHours(1)).l2Ttl(Duration.ofHours(1)).build();

    private static final String KEY = "fo:products:k";

    @Test
    void aPromotedReplicaGetsATrackingConnectionAndOutsideWritesToItStillDropL1() {
        try (RedisCluster cluster = RedisCluster.start(3);
                RedisServer replica = RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file",
                        "nodes.conf", "--cluster-node-timeout", "2000", "--cluster-announce-ip", RedisServer.HOST)) {
            RedisServer master = cluster.nodeForKey(KEY);
            String masterId = String.valueOf(master.command("CLUSTER", "MYID"));
            replica.command("CLUSTER", "MEET", master.host(), Integer.toString(master.port()));
            await().atMost(Duration.ofSeconds(20)).until(() -> String.valueOf(replica.command("CLUSTER", "NODES"))
                    .contains(masterId));
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> "OK".equals(replica.command("CLUSTER", "REPLICATE", masterId)));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> replica.info("replication").contains("master_link_status:up"));
            List<String> nodes = new ArrayList<>(cluster.nodeAddresses());
            nodes.add(replica.address());
            try (TestRedis instance = TestRedis.cluster(nodes, "fo").withBus(Duration.ofMillis(100),
                    Duration.ofSeconds(1)).withTracking()) {
                KeyTracking tracking = Objects.requireNonNull(instance.tracking);
                L1Guard guard = Objects.requireNonNull(instance.guard);
                await().atMost(Duration.ofSeconds(10)).until(() -> tracking.isHealthy() && tracking.linkCount() == 3
                        && tracking.heartbeatsReceived() >= 3);
                TieredCache cache = instance.cache("products", LONG_L1);
                cache.put("k", "v1");
                await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
                    cache.lookup("k");
                    assertThat(inL1(cache, guard)).isTrue();
                });
                long opened = tracking.connectionsOpened();

                master.kill();
                // The lost master's pushes are gone: L1 is distrusted within the bound.
                await().atMost(Duration.ofMillis(1_500)).until(() -> !inL1(cache, guard));
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> replica.info("replication").contains("role:master"));
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(List.of(
                        tracking.connectionsOpened() > opened, tracking.linkCount(), tracking.isHealthy()))
                        .containsExactly(true, 3, true));

                // The promoted replica holds the key's slot; an outside write to it reaches L1.
                RedisClient promoted = RedisClient.create(RedisURI.create(replica.host(), replica.port()));
                try {
                    RedisCommands<byte[], byte[]> outside = promoted.connect(ByteArrayCodec.INSTANCE).sync();
                    await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() -> {
                        cache.lookup("k");
                        assertThat(inL1(cache, guard)).isTrue();
                    });
                    outside.del(bytes(KEY));
                    await().atMost(Duration.ofSeconds(1)).until(() -> !inL1(cache, guard));
                    assertThat(cache.lookup("k")).isNull();
                }
                finally {
                    promoted.shutdown();
                }
            }
        }
    }

    private static boolean inL1(TieredCache cache, L1Guard guard) {
        return cache.insight().l1().remainingNanosByText("k", guard.epoch()) > 0;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
