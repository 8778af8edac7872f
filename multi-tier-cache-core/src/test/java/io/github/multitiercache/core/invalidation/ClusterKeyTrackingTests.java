package io.github.multitiercache.core.invalidation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TestRedis;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.RedisCluster;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Client-side tracking on a real 3-master Redis Cluster: one tracking connection per master, and
 * writes by a raw cluster client that is not the library, to keys spread over every master.
 */
class ClusterKeyTrackingTests {

    private static final RedisCluster cluster = RedisCluster.shared();

    private static final CacheSettings LONG_L1 = CacheSettings.defaults().toBuilder()
            .l1Ttl(Duration.ofHours(1)).l2Ttl(Duration.ofHours(1)).build();

    private static final int KEYS = 30;

    @Test
    void outsideWritesOnEveryMasterDropTheL1CopiesOfEveryInstance() {
        RedisClusterClient client = RedisClusterClient.create(cluster.nodeUris().stream().map(RedisURI::create).toList());
        try (Instance a = new Instance(); Instance b = new Instance()) {
            RedisAdvancedClusterCommands<byte[], byte[]> outside = client.connect(ByteArrayCodec.INSTANCE).sync();
            a.awaitTrusted();
            b.awaitTrusted();
            assertThat(a.tracking.linkCount()).isEqualTo(3);
            List<Instance> instances = List.of(a, b);
            TieredCache onA = a.engine.cache("products", LONG_L1);
            TieredCache onB = b.engine.cache("products", LONG_L1);
            List<TieredCache> caches = List.of(onA, onB);
            for (int i = 0; i < KEYS; i++) {
                onA.put(i, "v1");
            }
            onA.put("other", "v2");
            fillAll(instances, caches);

            byte[] other = outside.get(bytes("trk:products:other"));
            for (int i = 0; i < KEYS; i++) {
                outside.set(bytes("trk:products:" + i), other);
            }
            awaitAllGone(instances, caches);
            for (int i = 0; i < KEYS; i++) {
                assertThat(onB.lookup(i).get()).isEqualTo("v2");
            }

            fillAll(instances, caches);
            for (int i = 0; i < KEYS; i++) {
                outside.del(bytes("trk:products:" + i));
            }
            awaitAllGone(instances, caches);
            assertThat(onA.lookup(0)).isNull();
        }
        finally {
            client.shutdown();
        }
    }

    @Test
    void aKilledTrackingConnectionToOneMasterIsReopenedAndDropsL1() {
        try (Instance a = new Instance()) {
            a.awaitTrusted();
            TieredCache onA = a.engine.cache("products", LONG_L1);
            onA.put("k", "v1");
            await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
                onA.lookup("k");
                assertThat(a.inL1(onA, "k")).isTrue();
            });
            long opened = a.tracking.connectionsOpened();
            RedisServer master = cluster.nodeForKey("trk:products:k");
            assertThat(master.clientKill("ID " + connectionId(master, a.tracking))).isOne();

            await().atMost(Duration.ofMillis(600)).until(() -> !a.inL1(onA, "k"));
            await().atMost(Duration.ofSeconds(5)).until(() -> a.tracking.connectionsOpened() > opened
                    && a.tracking.isHealthy());
            assertThat(a.tracking.linkCount()).isEqualTo(3);
        }
    }

    private static long connectionId(RedisServer node, KeyTracking tracking) {
        String clients = String.valueOf(node.command("CLIENT", "LIST"));
        return clients.lines().filter(line -> line.contains(" name=" + tracking.clientName() + " "))
                .map(line -> Long.parseLong(line.substring(3, line.indexOf(' '))))
                .findFirst().orElseThrow(() -> new AssertionError("no tracking connection in " + clients));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void fillAll(List<Instance> instances, List<TieredCache> caches) {
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
            for (int n = 0; n < instances.size(); n++) {
                for (int i = 0; i < KEYS; i++) {
                    caches.get(n).lookup(i);
                    assertThat(instances.get(n).inL1(caches.get(n), String.valueOf(i))).isTrue();
                }
            }
        });
    }

    private static void awaitAllGone(List<Instance> instances, List<TieredCache> caches) {
        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (int n = 0; n < instances.size(); n++) {
                for (int i = 0; i < KEYS; i++) {
                    assertThat(instances.get(n).inL1(caches.get(n), String.valueOf(i))).as("instance %d key %d", n, i)
                            .isFalse();
                }
            }
        });
    }

    private static final class Instance implements AutoCloseable {

        final TestRedis engine = TestRedis.cluster(cluster.nodeAddresses(), "trk")
                .withBus(Duration.ofMillis(100), Duration.ofMillis(600)).withTracking();
        final L1Guard guard = Objects.requireNonNull(engine.guard);
        final KeyTracking tracking = Objects.requireNonNull(engine.tracking);

        void awaitTrusted() {
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.busReady() && tracking.isHealthy()
                    && tracking.heartbeatsReceived() >= 3 && tracking.linkCount() == 3);
        }

        boolean inL1(TieredCache cache, String key) {
            return cache.insight().l1().remainingNanosByText(key, guard.epoch()) > 0;
        }

        @Override
        public void close() {
            engine.close();
        }
    }
}
