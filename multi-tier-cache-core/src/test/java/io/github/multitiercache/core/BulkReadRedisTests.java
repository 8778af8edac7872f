package io.github.multitiercache.core;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import io.github.multitiercache.testsupport.ConcurrentCalls;
import io.github.multitiercache.testsupport.RedisCluster;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bulk reads against real Redis, standalone and a 3-master cluster: the batch commands and scripts
 * run, a call costs what the design says in Redis commands (seen with {@code MONITOR}, or counted
 * with {@code INFO commandstats}),
 * and concurrent bulk readers on two instances load each key once.
 */
class BulkReadRedisTests {

    private static final Pattern CALLS = Pattern.compile("cmdstat_([a-z|]+):calls=(\\d+)");

    @Test
    void aMixedReadOnStandaloneSendsOneReadAndOneStoreCommandAndLoadsOnlyTheMissingKeys() throws Exception {
        try (RedisServer redis = RedisServer.start();
                TestRedis one = TestRedis.standalone(redis.port(), "bulk");
                TestRedis two = TestRedis.standalone(redis.port(), "bulk")) {
            awaitUp(one, two);
            TieredCache a = one.cache("items", CacheSettings.defaults());
            TieredCache b = two.cache("items", CacheSettings.defaults());
            List<Integer> ids = IntStream.range(0, 100).boxed().toList();
            // 50 in a's L1 (and Redis), 30 more in Redis only (written by b), 20 nowhere.
            a.getAll(ids.subList(0, 50), values("first"));
            b.getAll(ids.subList(50, 80), values("first"));
            List<Set<Integer>> calls = new ArrayList<>();
            Map<Integer, String> result = new LinkedHashMap<>();

            Map<String, Long> sent = clientCommands(redis, () -> result.putAll(a.getAll(ids, keys -> {
                calls.add(keys);
                return values("second").apply(keys);
            })));

            assertThat(result.keySet()).containsExactlyElementsOf(ids);
            assertThat(result.get(10)).isEqualTo("first-10");
            assertThat(result.get(60)).isEqualTo("first-60");
            assertThat(result.get(90)).isEqualTo("second-90");
            assertThat(calls).containsExactly(Set.copyOf(ids.subList(80, 100)));
            // The read of the 50 keys L1 missed, which takes the 20 leases in the same script, then
            // the token-checked store of the 20 loaded values: two commands, one after the other.
            assertThat(sent).containsExactly(Map.entry("evalsha", 2L));
            // The store took: each lease still held this call's token.
            assertThat(a.stampedeStatistics().rejectedStores()).isZero();
            assertThat(b.getAll(ids.subList(80, 100), keys -> {
                throw new AssertionError("stored in Redis: " + keys);
            })).hasSize(20).containsEntry(90, "second-90");
        }
    }

    @Test
    void withFailSafeTheReadThatLeasesTellsAnEntryPastItsExpiryFromAFreshOneByItsEnvelope() throws Exception {
        try (TestRedis one = TestRedis.standalone(RedisServer.shared().port(), "bulke")) {
            await().atMost(Duration.ofSeconds(20)).until(() -> one.tier.set(
                    "bulke:warm-up".getBytes(StandardCharsets.UTF_8), new byte[] { 1 }, 1000)
                    && one.tier.circuitBreaker().state() == CircuitBreaker.State.CLOSED);
            TieredCache cache = one.cache("items-" + System.nanoTime(), CacheSettings.defaults().toBuilder()
                    .l1Enabled(false).l2Ttl(Duration.ofMillis(500)).failSafe(new FailSafeSettings(true,
                            Duration.ofSeconds(30), Duration.ZERO, Duration.ZERO)).build());
            cache.getAll(List.of(1, 2), values("first"));
            Thread.sleep(700);
            cache.put(2, "fresh-2");
            List<Set<Integer>> calls = new ArrayList<>();

            Map<Integer, String> served = cache.getAll(List.of(1, 2), keys -> {
                calls.add(keys);
                throw new IllegalStateException("database down");
            });

            // 1 is past its expiry but kept in Redis for fail-safe: leased by the read, loaded, and
            // served stale when the load failed; 2 is fresh and served as read.
            assertThat(calls).containsExactly(Set.of(1));
            assertThat(served).containsExactly(Map.entry(1, "first-1"), Map.entry(2, "fresh-2"));
            assertThat(cache.stampedeStatistics().staleServes()).isEqualTo(1);
            assertThat(cache.stampedeStatistics().lockAcquisitions()).isEqualTo(2 + 1);
        }
    }

    @Test
    void aReadOnAClusterSendsOneCommandPerSlotPipelinedToEachNodeLeasingOrNot() {
        RedisCluster cluster = RedisCluster.shared();
        try (TestRedis one = TestRedis.cluster(cluster.nodeAddresses(), "bulkc")) {
            TieredCache a = one.cache("items", CacheSettings.defaults());
            List<Integer> ids = IntStream.range(0, 100).boxed().toList();
            a.getAll(ids, values("v"));
            try (TestRedis two = TestRedis.cluster(cluster.nodeAddresses(), "bulkc")) {
                TieredCache fresh = two.cache("items", CacheSettings.defaults().toBuilder().l1Enabled(false).build());
                long slots = ids.stream().map(id -> RedisCluster.slotForKey("bulkc:items:" + id)).distinct().count();

                // A first read takes the leases of what it misses as it reads: one script per slot.
                assertPerSlot(cluster, "evalsha", slots, () -> assertThat(fresh.getAll(ids, keys -> {
                    throw new AssertionError("every key is in Redis");
                })).hasSize(100).containsEntry(42, "v-42"));
                // It found every key, so the next read is a plain MGET: one per slot.
                assertPerSlot(cluster, "mget", slots, () -> assertThat(fresh.getAll(ids, keys -> {
                    throw new AssertionError("every key is in Redis");
                })).hasSize(100).containsEntry(42, "v-42"));
            }
        }
    }

    /** Runs a read and checks that every node got some {@code command}s, {@code slots} in all. */
    private static void assertPerSlot(RedisCluster cluster, String command, long slots, Runnable read) {
        cluster.nodes().forEach(node -> node.command("CONFIG", "RESETSTAT"));
        read.run();
        Map<String, Long> perNode = new TreeMap<>();
        for (RedisServer node : cluster.nodes()) {
            perNode.put(node.address(), commandCalls(node).getOrDefault(command, 0L));
        }
        assertThat(perNode.values()).allSatisfy(count -> assertThat(count).isPositive());
        assertThat(perNode.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(slots);
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

    @Test
    void withoutTheLeaseTwoConcurrentBulkReadsOfOneInstanceLoadASharedKeyOnce() throws Exception {
        try (TestRedis one = TestRedis.standalone(RedisServer.shared().port(), "bulkf")) {
            await().atMost(Duration.ofSeconds(20)).until(() -> one.tier.set(
                    "bulkf:warm-up".getBytes(StandardCharsets.UTF_8), new byte[] { 1 }, 1000)
                    && one.tier.circuitBreaker().state() == CircuitBreaker.State.CLOSED);
            TieredCache cache = one.cache("items-" + System.nanoTime(), CacheSettings.defaults().toBuilder()
                    .stampede(new StampedeSettings(false, Duration.ofSeconds(10), Duration.ofSeconds(2),
                            StampedeSettings.OnTimeout.LOAD)).build());
            List<Set<Integer>> loads = new CopyOnWriteArrayList<>();
            CountDownLatch firstLoading = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                Future<Map<Integer, String>> first = threads.submit(() -> cache.getAll(List.of(1, 2, 3), keys -> {
                    loads.add(keys);
                    firstLoading.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                    return values("first").apply(keys);
                }));
                assertThat(firstLoading.await(10, TimeUnit.SECONDS)).isTrue();
                Future<Map<Integer, String>> second = threads.submit(() -> cache.getAll(List.of(2, 3, 4), keys -> {
                    loads.add(keys);
                    return values("second").apply(keys);
                }));
                await().atMost(Duration.ofSeconds(10)).until(() -> loads.size() == 2);
                release.countDown();

                assertThat(second.get(10, TimeUnit.SECONDS)).containsExactly(Map.entry(2, "first-2"),
                        Map.entry(3, "first-3"), Map.entry(4, "second-4"));
                assertThat(first.get(10, TimeUnit.SECONDS)).containsOnlyKeys(1, 2, 3);
                assertThat(loads).containsExactly(Set.of(1, 2, 3), Set.of(4));
            }
            finally {
                release.countDown();
                threads.shutdownNow();
            }
        }
    }

    /**
     * Waits until each instance's connection is up: they open in the background, and a call made
     * before fails (and is served without Redis, as it should be), which would change what a test
     * counts.
     */
    static void awaitUp(TestRedis... instances) {
        for (TestRedis instance : instances) {
            await().atMost(Duration.ofSeconds(20)).until(() -> instance.tier.set(
                    "bulk:warm-up".getBytes(StandardCharsets.UTF_8), new byte[] { 1 }, 1000)
                    && instance.tier.circuitBreaker().state() == CircuitBreaker.State.CLOSED);
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

    /**
     * The commands clients sent to {@code redis} while {@code action} ran, by name, seen with
     * {@code MONITOR}: what a script runs inside Redis is left out, so each command is one that
     * crossed the network.
     */
    static Map<String, Long> clientCommands(RedisServer redis, Runnable action) throws Exception {
        String marker = "end-of-" + System.nanoTime();
        try (Socket socket = new Socket(redis.host(), redis.port())) {
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            out.write("*1\r\n$7\r\nMONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(in.readLine()).isEqualTo("+OK");
            action.run();
            redis.command("ECHO", marker);
            Map<String, Long> sent = new TreeMap<>();
            Pattern line = Pattern.compile("^\\+[0-9.]+ \\[\\d+ ([^\\]]+)\\] \"([^\"]+)\"");
            for (String next = in.readLine(); next != null && !next.contains(marker); next = in.readLine()) {
                Matcher matcher = line.matcher(next);
                if (matcher.find() && !matcher.group(1).equals("lua")) {
                    sent.merge(matcher.group(2).toLowerCase(Locale.ROOT), 1L, Long::sum);
                }
            }
            return sent;
        }
    }

    static Map<String, Long> commandCalls(RedisServer redis) {
        Map<String, Long> calls = new TreeMap<>();
        Matcher matcher = CALLS.matcher(redis.info("commandstats"));
        while (matcher.find()) {
            calls.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return calls;
    }
}
