package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.testsupport.ConcurrentCalls;
import io.github.multitiercache.testsupport.RedisCluster;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bulk reads against real Redis, standalone and a 3-master cluster: the batch commands and scripts
 * run, a call costs what the design says in Redis commands (counted with {@code INFO commandstats}),
 * and concurrent bulk readers on two instances load each key once.
 */
class BulkReadRedisTests {

    private static final Pattern CALLS = Pattern.compile("cmdstat_([a-z|]+):calls=(\\d+)");

    @Test
    void aMixedReadOnStandaloneCostsOneMgetAndTwoScriptRunsAndLoadsOnlyTheMissingKeys() {
        try (RedisServer redis = RedisServer.start();
                TestRedis one = TestRedis.standalone(redis.port(), "bulk");
                TestRedis two = TestRedis.standalone(redis.port(), "bulk")) {
            TieredCache a = one.cache("items", CacheSettings.defaults());
            TieredCache b = two.cache("items", CacheSettings.defaults());
            List<Integer> ids = IntStream.range(0, 100).boxed().toList();
            // 50 in a's L1 (and Redis), 30 more in Redis only (written by b), 20 nowhere.
            a.getAll(ids.subList(0, 50), values("first"));
            b.getAll(ids.subList(50, 80), values("first"));
            List<Set<Integer>> calls = new ArrayList<>();
            redis.command("CONFIG", "RESETSTAT");

            Map<Integer, String> result = a.getAll(ids, keys -> {
                calls.add(keys);
                return values("second").apply(keys);
            });

            Map<String, Long> commands = commandCalls(redis);
            assertThat(result.keySet()).containsExactlyElementsOf(ids);
            assertThat(result.get(10)).isEqualTo("first-10");
            assertThat(result.get(60)).isEqualTo("first-60");
            assertThat(result.get(90)).isEqualTo("second-90");
            assertThat(calls).containsExactly(Set.copyOf(ids.subList(80, 100)));
            assertThat(commands.get("mget")).isEqualTo(1);
            // The leases of the 20 missing keys, then their token-checked store; EVAL only where
            // this Redis did not know a script yet.
            assertThat(commands.getOrDefault("evalsha", 0L)).isEqualTo(2);
        }
    }

    @Test
    void aReadOnAClusterSendsOneMgetPerSlotPipelinedToEachNode() {
        RedisCluster cluster = RedisCluster.shared();
        try (TestRedis one = TestRedis.cluster(cluster.nodeAddresses(), "bulkc")) {
            TieredCache a = one.cache("items", CacheSettings.defaults());
            List<Integer> ids = IntStream.range(0, 100).boxed().toList();
            a.getAll(ids, values("v"));
            try (TestRedis two = TestRedis.cluster(cluster.nodeAddresses(), "bulkc")) {
                TieredCache fresh = two.cache("items", CacheSettings.defaults());
                cluster.nodes().forEach(node -> node.command("CONFIG", "RESETSTAT"));

                Map<Integer, String> result = fresh.getAll(ids, keys -> {
                    throw new AssertionError("every key is in Redis");
                });

                assertThat(result).hasSize(100).containsEntry(42, "v-42");
                long slots = ids.stream().map(id -> RedisCluster.slotForKey("bulkc:items:" + id)).distinct().count();
                Map<String, Long> mgetsPerNode = new TreeMap<>();
                for (RedisServer node : cluster.nodes()) {
                    mgetsPerNode.put(node.address(), commandCalls(node).getOrDefault("mget", 0L));
                }
                assertThat(mgetsPerNode.values()).allSatisfy(count -> assertThat(count).isPositive());
                assertThat(mgetsPerNode.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(slots);
            }
        }
    }

    @Test
    void concurrentBulkReadersOnTwoInstancesOfAClusterLoadEachKeyOnce() throws Exception {
        RedisCluster cluster = RedisCluster.shared();
        try (TestRedis one = TestRedis.cluster(cluster.nodeAddresses(), "bulkl");
                TestRedis two = TestRedis.cluster(cluster.nodeAddresses(), "bulkl")) {
            assertLoadedOnce(one, two);
        }
    }

    @Test
    void concurrentBulkReadersOnTwoInstancesOfAStandaloneRedisLoadEachKeyOnce() throws Exception {
        try (TestRedis one = TestRedis.standalone(RedisServer.shared().port(), "bulkl");
                TestRedis two = TestRedis.standalone(RedisServer.shared().port(), "bulkl")) {
            assertLoadedOnce(one, two);
        }
    }

    /** 16 callers, each asking for 40 ids of 0..99 that overlap the others', half on each instance. */
    private static void assertLoadedOnce(TestRedis one, TestRedis two) throws Exception {
        // Connections open in the background: a call made before they are up fails, and a load then
        // runs without the lease, as it should with Redis unavailable. This test is about the lease.
        for (TestRedis instance : List.of(one, two)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> instance.tier.set(
                    "bulkl:warm-up".getBytes(StandardCharsets.UTF_8), new byte[] { 1 }, 1000)
                    && instance.tier.circuitBreaker().state() == CircuitBreaker.State.CLOSED);
        }
        TieredCache a = one.cache("items", CacheSettings.defaults());
        TieredCache b = two.cache("items", CacheSettings.defaults());
        Map<Integer, AtomicInteger> loads = new ConcurrentHashMap<>();
        Function<Set<Integer>, Map<Integer, String>> loader = keys -> {
            keys.forEach(key -> loads.computeIfAbsent(key, any -> new AtomicInteger()).incrementAndGet());
            try {
                Thread.sleep(100);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return values("v").apply(keys);
        };
        List<Object> results = ConcurrentCalls.run(16, i -> {
            List<Integer> ids = IntStream.range(0, 40).map(n -> (i * 7 + n) % 100).boxed().toList();
            Map<Integer, String> values = ((i % 2 == 0) ? a : b).getAll(ids, loader);
            assertThat(values.keySet()).containsExactlyElementsOf(ids);
            return values.size();
        });
        assertThat(results).containsOnly(40);
        assertThat(loads.values()).allSatisfy(count -> assertThat(count).hasValue(1));
    }

    private static Function<Set<Integer>, Map<Integer, String>> values(String prefix) {
        return keys -> {
            Map<Integer, String> values = new LinkedHashMap<>();
            keys.forEach(key -> values.put(key, prefix + "-" + key));
            return values;
        };
    }

    private static Map<String, Long> commandCalls(RedisServer redis) {
        Map<String, Long> calls = new TreeMap<>();
        Matcher matcher = CALLS.matcher(redis.info("commandstats"));
        while (matcher.find()) {
            calls.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return calls;
    }
}
