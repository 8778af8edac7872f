package io.github.multitiercache.core.invalidation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TestRedis;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.FaultProxy;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Client-side tracking on a real Redis: three instances, each a bus, tracking, a guard and a cache,
 * and writes made by a raw client that is not the library.
 */
class KeyTrackingTests {

    private static final CacheSettings LONG_L1 = CacheSettings.defaults().toBuilder()
            .l1Ttl(Duration.ofHours(1)).l2Ttl(Duration.ofHours(1)).build();

    private static final Duration HEARTBEAT = Duration.ofMillis(100);
    private static final Duration MAX_STALENESS = Duration.ofSeconds(1);

    private RedisServer redis;
    private TestRedis a;
    private TestRedis b;
    private TestRedis c;
    private RedisClient outsideClient;
    private RedisCommands<byte[], byte[]> outside;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        outsideClient = RedisClient.create(redis.uri());
        StatefulRedisConnection<byte[], byte[]> connection = outsideClient.connect(ByteArrayCodec.INSTANCE);
        outside = connection.sync();
    }

    @AfterEach
    void stop() {
        for (TestRedis instance : new TestRedis[] { c, b, a }) {
            if (instance != null) {
                instance.close();
            }
        }
        outsideClient.shutdown();
        redis.close();
    }

    private TestRedis instance() {
        TestRedis instance = TestRedis.standalone(redis.port(), "mtc").withBus(HEARTBEAT, MAX_STALENESS).withTracking();
        awaitTrusted(instance);
        return instance;
    }

    private static void awaitTrusted(TestRedis instance) {
        KeyTracking tracking = Objects.requireNonNull(instance.tracking);
        await().atMost(Duration.ofSeconds(5)).until(() -> instance.busReady() && tracking.isHealthy()
                && tracking.heartbeatsReceived() > 0);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the instance would answer the key from L1: present, unexpired, of the guard's epoch. */
    private static boolean inL1(TestRedis instance, TieredCache cache, String key) {
        L1Guard guard = Objects.requireNonNull(instance.guard);
        return cache.insight().l1().remainingNanosByText(key, guard.epoch()) > 0;
    }

    /** Reads the key on every instance until each holds it in L1 (a push of an earlier change may race the fill). */
    private static void fillEverywhere(List<TestRedis> instances, List<TieredCache> caches, String key) {
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            for (int i = 0; i < caches.size(); i++) {
                caches.get(i).lookup(key);
                assertThat(inL1(instances.get(i), caches.get(i), key)).as("instance %d", i).isTrue();
            }
        });
    }

    private static void awaitGoneEverywhere(List<TestRedis> instances, List<TieredCache> caches, String key) {
        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (int i = 0; i < caches.size(); i++) {
                assertThat(inL1(instances.get(i), caches.get(i), key)).as("instance %d", i).isFalse();
            }
        });
    }

    @Test
    void outsideSetDelAndExpiryDropTheL1CopiesOfEveryInstance() {
        a = instance();
        b = instance();
        c = instance();
        List<TestRedis> instances = List.of(a, b, c);
        List<TieredCache> caches = List.of(a.cache("products", LONG_L1), b.cache("products", LONG_L1),
                c.cache("products", LONG_L1));
        caches.get(0).put("k", "v1");
        caches.get(0).put("other", "v2");
        fillEverywhere(instances, caches, "k");

        // SET by another program: the bytes of another entry, so that the cache can read them.
        outside.set(bytes("mtc:products:k"), outside.get(bytes("mtc:products:other")));
        awaitGoneEverywhere(instances, caches, "k");
        for (TieredCache cache : caches) {
            assertThat(cache.lookup("k").get()).isEqualTo("v2");
        }

        fillEverywhere(instances, caches, "k");
        outside.del(bytes("mtc:products:k"));
        awaitGoneEverywhere(instances, caches, "k");
        for (TieredCache cache : caches) {
            assertThat(cache.lookup("k")).isNull();
        }

        caches.get(0).put("k", "v3");
        outside.pexpire(bytes("mtc:products:k"), 600);
        // The EXPIRE itself is a change; the copies filled after it live until Redis drops the key.
        fillEverywhere(instances, caches, "k");
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
            for (int i = 0; i < caches.size(); i++) {
                assertThat(inL1(instances.get(i), caches.get(i), "k")).as("instance %d", i).isFalse();
            }
        });
        assertThat(outside.exists(bytes("mtc:products:k"))).isZero();
        for (TieredCache cache : caches) {
            assertThat(cache.lookup("k")).isNull();
        }
    }

    @Test
    void keysEvictedByMaxmemoryLeaveTheL1CopiesOfEveryInstance() {
        a = instance();
        b = instance();
        List<TestRedis> instances = List.of(a, b);
        List<TieredCache> caches = List.of(a.cache("products", LONG_L1), b.cache("products", LONG_L1));
        caches.get(0).put("k", "v1");
        fillEverywhere(instances, caches, "k");

        long used = Long.parseLong(redis.info("memory").lines().filter(line -> line.startsWith("used_memory:"))
                .findFirst().orElseThrow().substring("used_memory:".length()).trim());
        redis.command("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
        redis.command("CONFIG", "SET", "maxmemory", String.valueOf(used + 2_000_000));
        byte[] filler = new byte[50_000];
        for (int i = 0; i < 2_000 && outside.exists(bytes("mtc:products:k")) == 1; i++) {
            outside.set(bytes("filler:" + i), filler);
        }
        assertThat(outside.exists(bytes("mtc:products:k"))).as("evicted").isZero();
        awaitGoneEverywhere(instances, caches, "k");
    }

    @Test
    void aKilledTrackingConnectionIsReopenedAtOnceAndDropsL1() {
        a = instance();
        b = instance();
        TieredCache onA = a.cache("products", LONG_L1);
        TieredCache onB = b.cache("products", LONG_L1);
        onA.put("k", "v1");
        onA.put("other", "v2");
        fillEverywhere(List.of(a, b), List.of(onA, onB), "k");
        KeyTracking tracking = Objects.requireNonNull(a.tracking);
        long opened = tracking.connectionsOpened();

        assertThat(redis.clientKill("ID " + trackingConnectionId(tracking))).isOne();
        // A write while the connection is down is never reported on it.
        outside.set(bytes("mtc:products:k"), outside.get(bytes("mtc:products:other")));

        // Reopened on the spot, well within the bound: the copy is dropped, and L1 was never degraded.
        await().atMost(MAX_STALENESS).until(() -> !inL1(a, onA, "k"));
        await().atMost(Duration.ofSeconds(3)).until(() -> tracking.connectionsOpened() > opened && tracking.isHealthy());
        assertThat(onA.lookup("k").get()).isEqualTo("v2");
        assertThat(tracking.degradations()).isZero();

        // The new connection tracks again.
        fillEverywhere(List.of(a), List.of(onA), "k");
        outside.del(bytes("mtc:products:k"));
        awaitGoneEverywhere(List.of(a), List.of(onA), "k");
    }

    @Test
    void aSilencedTrackingConnectionDistrustsL1WithinTheBoundWhileTheBusStaysHealthy() {
        try (FaultProxy proxy = FaultProxy.start(redis.host(), redis.port())) {
            a = TestRedis.standalone(redis.port(), "mtc").withBus(HEARTBEAT, MAX_STALENESS)
                    .withTrackingThrough(proxy.port());
            awaitTrusted(a);
            TieredCache onA = a.cache("products", LONG_L1);
            onA.put("k", "v1");
            onA.put("other", "v2");
            fillEverywhere(List.of(a), List.of(onA), "k");
            KeyTracking tracking = Objects.requireNonNull(a.tracking);
            L1Guard guard = Objects.requireNonNull(a.guard);

            proxy.blackhole();
            long silencedAt = System.nanoTime();
            outside.set(bytes("mtc:products:k"), outside.get(bytes("mtc:products:other")));
            await().atMost(MAX_STALENESS.plusMillis(500)).until(guard::isTrackingDegraded);
            long degradedAfterMillis = (System.nanoTime() - silencedAt) / 1_000_000;
            assertThat(degradedAfterMillis).isLessThanOrEqualTo(MAX_STALENESS.toMillis() + 300);
            assertThat(inL1(a, onA, "k")).isFalse();
            assertThat(onA.lookup("k").get()).isEqualTo("v2");
            assertThat(a.busReady()).as("the bus is not affected").isTrue();

            proxy.restore();
            await().atMost(Duration.ofSeconds(5)).until(tracking::isHealthy);
            assertThat(guard.isTrackingDegraded()).isFalse();
        }
    }

    @Test
    void aServerThatRefusesTrackingLeavesTheCacheWorkingAsWithoutIt() {
        redis.command("ACL", "SETUSER", "app", "on", ">secret", "~*", "&*", "+@all", "-client");
        a = TestRedis.standalone(redis.port(), "mtc").withBus(HEARTBEAT, MAX_STALENESS);
        a.withTrackingAs("app", "secret");
        KeyTracking tracking = Objects.requireNonNull(a.tracking);
        await().atMost(Duration.ofSeconds(5)).until(tracking::isUnavailable);
        await().atMost(Duration.ofSeconds(5)).until(a::busReady);
        TieredCache onA = a.cache("products", LONG_L1);
        onA.put("k", "v1");
        assertThat(onA.lookup("k").get()).isEqualTo("v1");
        assertThat(inL1(a, onA, "k")).isTrue();
        assertThat(Objects.requireNonNull(a.guard).isTrackingDegraded()).isFalse();
        assertThat(tracking.isHealthy()).isFalse();
    }

    @Test
    void aClientConfiguredForResp2LeavesTrackingOffAndTheCacheWorking() {
        a = TestRedis.standalone(redis.port(), "mtc").withBus(HEARTBEAT, MAX_STALENESS).withTrackingOverResp2();
        KeyTracking tracking = Objects.requireNonNull(a.tracking);
        await().atMost(Duration.ofSeconds(5)).until(tracking::isUnavailable);
        await().atMost(Duration.ofSeconds(5)).until(a::busReady);
        TieredCache onA = a.cache("products", LONG_L1);
        onA.put("k", "v1");
        assertThat(onA.lookup("k").get()).isEqualTo("v1");
        assertThat(inL1(a, onA, "k")).isTrue();
        // Longer than the trust window: a RESP2 connection would never have brought a heartbeat back.
        await().during(MAX_STALENESS.plusMillis(200)).atMost(Duration.ofSeconds(3))
                .until(() -> !Objects.requireNonNull(a.guard).isTrackingDegraded());
    }

    private long trackingConnectionId(KeyTracking tracking) {
        String clients = String.valueOf(redis.command("CLIENT", "LIST"));
        return clients.lines().filter(line -> line.contains(" name=" + tracking.clientName() + " "))
                .map(line -> Long.parseLong(line.substring(3, line.indexOf(' '))))
                .findFirst().orElseThrow(() -> new AssertionError("no tracking connection in " + clients));
    }
}
