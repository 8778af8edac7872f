package io.github.multitiercache.core;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.testsupport.ConcurrentCalls;
import io.github.multitiercache.testsupport.RedisCluster;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-key lock on a real Redis Cluster of three masters: the lock shares its value's slot, so
 * the token-checked scripts run, for keys with and without a hash tag.
 */
class ClusterStampedeTests {

    private static final RedisCluster cluster = RedisCluster.shared();

    @Test
    void concurrentMissesOnTwoInstancesLoadEachKeyOnce() throws Exception {
        try (TestRedis one = TestRedis.cluster(cluster.nodeAddresses(), "cs");
                TestRedis two = TestRedis.cluster(cluster.nodeAddresses(), "cs")) {
            TieredCache a = one.cache("users", CacheSettings.defaults());
            TieredCache b = two.cache("users", CacheSettings.defaults());
            for (String key : List.of("plain", "{eu}:tagged")) {
                AtomicInteger calls = new AtomicInteger();
                Callable<String> loader = () -> {
                    calls.incrementAndGet();
                    Thread.sleep(200);
                    return "v-" + key;
                };
                List<Object> results = ConcurrentCalls.run(32,
                        i -> ((i % 2 == 0) ? a : b).get(key, loader));
                assertThat(results).containsOnly("v-" + key);
                assertThat(calls).as(key).hasValue(1);
            }
        }
    }

    @Test
    void aLoadOvertakenByAnEvictIsNotWritten() throws Exception {
        try (TestRedis one = TestRedis.cluster(cluster.nodeAddresses(), "ce");
                TestRedis two = TestRedis.cluster(cluster.nodeAddresses(), "ce")) {
            TieredCache a = one.cache("users", CacheSettings.defaults());
            TieredCache b = two.cache("users", CacheSettings.defaults());
            CountDownLatch loading = new CountDownLatch(1);
            CountDownLatch evicted = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Object> load = pool.submit(() -> a.get("k", () -> {
                    loading.countDown();
                    evicted.await();
                    return "old";
                }));
                assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
                b.evict("k");
                evicted.countDown();
                assertThat(load.get(5, TimeUnit.SECONDS)).isEqualTo("old");
            }
            finally {
                pool.shutdownNow();
            }
            assertThat(a.stampedeStatistics().rejectedStores()).isEqualTo(1);
            assertThat(cluster.nodeForKey("ce:users:k").command("EXISTS", "ce:users:k")).isEqualTo(0L);
        }
    }
}
