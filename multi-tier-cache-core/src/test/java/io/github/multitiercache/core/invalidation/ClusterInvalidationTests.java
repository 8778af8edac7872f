package io.github.multitiercache.core.invalidation;

import java.time.Duration;
import java.util.Objects;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TestRedis;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.RedisCluster;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Invalidation over regular pub/sub on a real 3-master Redis Cluster: a PUBLISH reaches
 * subscribers connected to any node.
 */
class ClusterInvalidationTests {

    private static final RedisCluster cluster = RedisCluster.shared();

    @Test
    void writesOnOneInstanceDropTheOtherInstancesL1CopiesOnACluster() {
        try (Instance a = new Instance(); Instance b = new Instance()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> a.bus.isHealthy() && b.bus.isHealthy()
                    && a.bus.statistics().heartbeatsReceived() > 0 && b.bus.statistics().heartbeatsReceived() > 0);
            TieredCache onA = a.engine.cache("products", CacheSettings.defaults());
            TieredCache onB = b.engine.cache("products", CacheSettings.defaults());
            for (int i = 0; i < 30; i++) {
                onA.put(i, "v1");
            }
            await().atMost(Duration.ofSeconds(2)).until(() -> b.bus.statistics().keysReceived() == 30);
            for (int i = 0; i < 30; i++) {
                assertThat(onB.lookup(i).get()).isEqualTo("v1");
                assertThat(onB.insight().l1().remainingNanos(i)).isPositive();
            }
            for (int i = 0; i < 30; i++) {
                onA.put(i, "v2");
            }
            await().atMost(Duration.ofSeconds(2)).until(() -> b.bus.statistics().keysReceived() == 60);
            for (int i = 0; i < 30; i++) {
                assertThat(onB.lookup(i).get()).isEqualTo("v2");
            }
            assertThat(b.bus.statistics().gaps()).isZero();
        }
    }

    private static final class Instance implements AutoCloseable {

        final TestRedis engine = TestRedis.cluster(cluster.nodeAddresses(), "cl")
                .withBus(Duration.ofMillis(100), Duration.ofMillis(600));
        final L1Guard guard = Objects.requireNonNull(engine.guard);
        final InvalidationBus bus = Objects.requireNonNull(engine.bus);

        @Override
        public void close() {
            engine.close();
        }
    }
}
