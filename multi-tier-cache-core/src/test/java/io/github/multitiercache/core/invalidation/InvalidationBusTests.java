package io.github.multitiercache.core.invalidation;

import java.time.Duration;
import java.util.Objects;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.InvalidationPublisher;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TestRedis;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two instances, each a bus, a guard and caches, on one real Redis.
 */
class InvalidationBusTests {

    private static final CacheSettings LONG_L1 = CacheSettings.defaults().toBuilder()
            .l1Ttl(Duration.ofHours(1)).l2Ttl(Duration.ofHours(1)).build();

    private RedisServer redis;
    private Instance a;
    private Instance b;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        a = new Instance(redis.port());
        b = new Instance(redis.port());
        awaitHealthy(a);
        awaitHealthy(b);
    }

    @AfterEach
    void stop() throws Exception {
        b.close();
        a.close();
        redis.close();
    }

    private static void awaitHealthy(Instance instance) {
        await().atMost(Duration.ofSeconds(5))
                .until(() -> instance.bus.statistics().heartbeatsReceived() > 0 && instance.bus.isHealthy());
    }

    @Test
    void putAndEvictOnOneInstanceDropTheOthersL1CopyAndTheSenderIgnoresItsOwn() {
        TieredCache onA = a.cache("products");
        TieredCache onB = b.cache("products");
        onA.put("k", "v1");
        // Let A's invalidation of v1 arrive first: a fill racing with it is (rightly) not kept in L1.
        await().atMost(Duration.ofSeconds(1)).until(() -> b.bus.statistics().keysReceived() == 1);
        assertThat(onB.lookup("k").get()).isEqualTo("v1");
        assertThat(onB.l1().remainingNanos("k")).isPositive();

        onA.put("k", "v2");
        await().atMost(Duration.ofSeconds(1)).until(() -> onB.l1().remainingNanos("k") < 0);
        assertThat(onB.lookup("k").get()).isEqualTo("v2");

        onA.evict("k");
        await().atMost(Duration.ofSeconds(1)).until(() -> onB.l1().remainingNanos("k") < 0);
        assertThat(onB.lookup("k")).isNull();

        assertThat(a.bus.statistics().keysReceived()).isZero();
        assertThat(b.bus.statistics().keysReceived()).isEqualTo(3);
        assertThat(a.bus.statistics().gaps()).isZero();
        assertThat(b.bus.statistics().gaps()).isZero();
    }

    @Test
    void clearOnOneInstanceDropsTheWholeCacheOnTheOthers() {
        TieredCache onA = a.cache("products");
        TieredCache onB = b.cache("products");
        for (int i = 0; i < 10; i++) {
            onA.put(i, i);
        }
        await().atMost(Duration.ofSeconds(1)).until(() -> b.bus.statistics().keysReceived() == 10);
        for (int i = 0; i < 10; i++) {
            onB.lookup(i);
            assertThat(onB.l1().remainingNanos(i)).isPositive();
        }
        onA.clear();
        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (int i = 0; i < 10; i++) {
                assertThat(onB.l1().remainingNanos(i)).isNegative();
            }
        });
    }

    @Test
    void fillingL1FromRedisOrFromALoadNeverBroadcasts() {
        TieredCache onA = a.cache("products");
        TieredCache onB = b.cache("products");
        long sentBefore = a.bus.statistics().keysSent() + b.bus.statistics().keysSent();
        onA.get("loaded", () -> "value");
        onB.lookup("loaded");
        onB.get("other", () -> "value");
        assertThat(a.bus.statistics().keysSent() + b.bus.statistics().keysSent()).isEqualTo(sentBefore);
    }

    @Test
    void burstsOfEvictionsBecomeFewMessagesCarryingEveryKey() {
        // Instances of their own with a generous command timeout: on a starved machine a publish
        // that times out is (rightly) a gap, which is not what this test is about.
        try (Instance sender = new Instance(redis.port(), Duration.ofSeconds(2));
                Instance receiver = new Instance(redis.port(), Duration.ofSeconds(2))) {
            awaitHealthy(sender);
            awaitHealthy(receiver);
            TieredCache onSender = sender.cache("products");
            receiver.cache("products");
            long messagesBefore = sender.bus.statistics().messagesSent() - sender.bus.statistics().heartbeatsSent();
            long start = System.nanoTime();
            for (int i = 0; i < 10_000; i++) {
                onSender.evict(i);
            }
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.bus.statistics().keysReceived() >= 10_000);
            long invalidationMessages = sender.bus.statistics().messagesSent() - sender.bus.statistics().heartbeatsSent()
                    - messagesBefore;
            // At most one message per 5ms batch window while the evictions ran, each carrying many keys.
            assertThat(invalidationMessages).as("messages for 10,000 evictions in %dms", elapsedMillis)
                    .isLessThanOrEqualTo(elapsedMillis / 5 + 20).isLessThan(2_000);
            assertThat(receiver.bus.statistics().gaps()).isZero();
        }
    }

    @Test
    void aGapInASendersNumbersDropsEveryL1Entry() {
        TieredCache onB = b.cache("products");
        onB.put("k", "v");
        publishRaw("{\"v\":1,\"s\":\"other\",\"q\":1,\"t\":0,\"y\":\"h\"}");
        await().atMost(Duration.ofSeconds(1)).until(() -> b.bus.peerCount() == 2);
        assertThat(onB.lookup("k")).isNotNull();
        int epoch = b.guard.epoch();

        publishRaw("{\"v\":1,\"s\":\"other\",\"q\":5,\"t\":0,\"y\":\"h\"}");

        await().atMost(Duration.ofSeconds(1)).until(() -> b.bus.statistics().gaps() == 1);
        assertThat(b.guard.epoch()).isGreaterThan(epoch);
        long l1Hits = onB.statistics().l1Hits();
        long l2Hits = onB.statistics().l2Hits();
        assertThat(onB.lookup("k").get()).as("served from Redis, not from the dropped L1").isEqualTo("v");
        assertThat(onB.statistics().l1Hits()).isEqualTo(l1Hits);
        assertThat(onB.statistics().l2Hits()).isEqualTo(l2Hits + 1);
    }

    @Test
    void anUnreadableMessageDropsEveryL1Entry() {
        int epoch = b.guard.epoch();
        publishRaw("{\"v\":99,\"s\":\"newer-release\",\"q\":1,\"t\":0,\"y\":\"i\"}");
        await().atMost(Duration.ofSeconds(1)).until(() -> b.guard.epoch() > epoch);
        assertThat(b.bus.statistics().gaps()).isPositive();
    }

    @Test
    void aPeerThatFallsSilentWithoutGoodbyeDropsEveryL1Entry() {
        publishRaw("{\"v\":1,\"s\":\"crashed\",\"q\":1,\"t\":0,\"y\":\"h\"}");
        await().atMost(Duration.ofSeconds(1)).until(() -> b.bus.peerCount() == 2);
        int epoch = b.guard.epoch();
        // max-staleness is 600ms in these tests.
        await().atMost(Duration.ofSeconds(2)).until(() -> b.bus.peerCount() == 1);
        assertThat(b.guard.epoch()).isGreaterThan(epoch);
    }

    @Test
    void aPeerThatSaysGoodbyeIsForgottenWithoutDroppingL1() throws Exception {
        await().atMost(Duration.ofSeconds(1)).until(() -> b.bus.peerCount() == 1);
        int epoch = b.guard.epoch();
        a.close();
        await().atMost(Duration.ofSeconds(2)).until(() -> b.bus.peerCount() == 0);
        Thread.sleep(800);
        assertThat(b.guard.epoch()).isEqualTo(epoch);
        assertThat(b.bus.statistics().gaps()).isZero();
    }

    @Test
    void aPausedRedisDegradesL1WithinTheBoundAndHealsAfterwards() {
        TieredCache onB = b.cache("products");
        onB.put("k", "v");
        assertThat(b.guard.isDegraded()).isFalse();
        long pausedAt = System.nanoTime();
        redis.pause();
        try {
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).until(b.guard::isDegraded);
            long detectedMillis = (System.nanoTime() - pausedAt) / 1_000_000;
            assertThat(detectedMillis).isLessThanOrEqualTo(600 + 100);
            assertThat(onB.lookup("k")).as("L1 dropped, Redis unreachable").isNull();
        }
        finally {
            redis.resume();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !b.guard.isDegraded());
    }

    private void publishRaw(String json) {
        redis.command("PUBLISH", "t:invalidation", json);
    }

    /** One instance: its Redis tier, guard, bus and caches. */
    static final class Instance implements AutoCloseable {

        final TestRedis engine;
        final L1Guard guard;
        final InvalidationBus bus;

        Instance(int port) {
            this(port, Duration.ofMillis(500));
        }

        Instance(int port, Duration commandTimeout) {
            this.engine = TestRedis.standalone(port, "t", commandTimeout, InvalidationPublisher.NONE)
                    .withBus(Duration.ofMillis(100), Duration.ofMillis(600));
            this.guard = Objects.requireNonNull(engine.guard);
            this.bus = Objects.requireNonNull(engine.bus);
        }

        TieredCache cache(String name) {
            return engine.cache(name, LONG_L1);
        }

        @Override
        public void close() {
            engine.close();
        }
    }

}
