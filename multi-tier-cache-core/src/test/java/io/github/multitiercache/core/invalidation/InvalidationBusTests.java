package io.github.multitiercache.core.invalidation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.InvalidationPublisher;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TestRedis;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
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
        assertThat(onB.insight().l1().remainingNanos("k")).isPositive();

        onA.put("k", "v2");
        await().atMost(Duration.ofSeconds(1)).until(() -> onB.insight().l1().remainingNanos("k") < 0);
        assertThat(onB.lookup("k").get()).isEqualTo("v2");

        onA.evict("k");
        await().atMost(Duration.ofSeconds(1)).until(() -> onB.insight().l1().remainingNanos("k") < 0);
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
            assertThat(onB.insight().l1().remainingNanos(i)).isPositive();
        }
        onA.clear();
        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (int i = 0; i < 10; i++) {
                assertThat(onB.insight().l1().remainingNanos(i)).isNegative();
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
    void withABatchWindowBurstsOfEvictionsBecomeAtMostOneMessagePerWindow() {
        // Instances of their own with a generous command timeout: on a starved machine a publish
        // that times out is (rightly) a gap, which is not what this test is about.
        try (Instance sender = new Instance(redis.port(), Duration.ofSeconds(2), Duration.ofMillis(5));
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
    void anIdleBusHandsAChangeToRedisOnTheWritingThread() {
        long sentBefore = a.bus.statistics().keysSent();
        a.bus.keysChanged("products", "k");
        // Counted when the batch is handed to Redis: no window, no other thread.
        assertThat(a.bus.statistics().keysSent()).isEqualTo(sentBefore + 1);
    }

    @Test
    void withABatchWindowTheFirstChangeAfterAQuietSpellGoesAtOnceAndTheNextWaitsForTheWindow() throws Exception {
        Duration window = Duration.ofSeconds(1);
        try (Instance sender = new Instance(redis.port(), Duration.ofSeconds(2), window);
                RawSubscription channel = new RawSubscription(redis.port(), sender.bus.senderId())) {
            awaitHealthy(sender);
            b.cache("products");
            long sentBefore = sender.bus.statistics().keysSent();
            long first = System.nanoTime();
            sender.bus.keysChanged("products", "first");
            assertThat(sender.bus.statistics().keysSent()).as("sent on the writing thread").isEqualTo(sentBefore + 1);
            sender.bus.keysChanged("products", "second");
            long keysSent = sender.bus.statistics().keysSent();
            if (System.nanoTime() - first < window.toNanos() / 2) {
                // Unless this thread stalled for half a window, the flush cannot have run yet.
                assertThat(keysSent).as("held back by the window").isEqualTo(sentBefore + 1);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> channel.invalidations().size() == 2);
            assertThat(channel.invalidations()).map(InvalidationBusTests::keys)
                    .containsExactly(List.of("first"), List.of("second"));
        }
    }

    @Test
    void changesMadeWhileTwoBatchesAreInFlightGoOutTogetherWhenOneIsAcknowledged() throws Exception {
        // A generous command timeout: the publishes wait for a paused Redis.
        try (Instance sender = new Instance(redis.port(), Duration.ofSeconds(5));
                RawSubscription channel = new RawSubscription(redis.port(), sender.bus.senderId())) {
            awaitHealthy(sender);
            b.cache("products");
            long sentBefore = sender.bus.statistics().keysSent();
            long receivedBefore = b.bus.statistics().keysReceived();
            redis.pause();
            long handedWhilePaused;
            try {
                // Nothing is acknowledged while Redis is paused: two batches go out, the rest waits.
                for (int i = 0; i < 1_000; i++) {
                    sender.bus.keysChanged("products", "k" + i);
                }
                handedWhilePaused = sender.bus.statistics().keysSent() - sentBefore;
            }
            finally {
                redis.resume();
            }
            assertThat(handedWhilePaused).as("keys handed to Redis while two batches were in flight").isEqualTo(2);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> b.bus.statistics().keysReceived() - receivedBefore == 1_000);
            List<InvalidationMessage> sent = channel.invalidations();
            // k0, k1, then the 998 others on the first acknowledgement, split at 500 keys per message.
            assertThat(sent).map(message -> keys(message).size()).containsExactly(1, 1, 500, 498);
            assertThat(sent.stream().flatMap(message -> keys(message).stream()).distinct().count()).isEqualTo(1_000);
            assertThat(b.bus.statistics().gaps()).isZero();
        }
    }

    @Test
    void concurrentWritersKeepTheSendersNumbersGapFreeAndInOrder() throws Exception {
        try (Instance sender = new Instance(redis.port(), Duration.ofSeconds(2));
                RawSubscription channel = new RawSubscription(redis.port(), sender.bus.senderId())) {
            awaitHealthy(sender);
            TieredCache onSender = sender.cache("products");
            b.cache("products");
            long receivedBefore = b.bus.statistics().keysReceived();
            int threads = 4;
            int perThread = 2_500;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> writers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int writer = t;
                    writers.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            onSender.evict(writer + "-" + i);
                        }
                    }));
                }
                for (Future<?> writer : writers) {
                    writer.get(60, TimeUnit.SECONDS);
                }
            }
            finally {
                pool.shutdownNow();
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> b.bus.statistics().keysReceived() - receivedBefore == threads * perThread);
            List<InvalidationMessage> all = channel.all();
            for (int i = 1; i < all.size(); i++) {
                assertThat(all.get(i).sequence()).as("the number after %d", all.get(i - 1).sequence())
                        .isEqualTo(all.get(i - 1).sequence() + 1);
            }
            List<String> keys = channel.invalidations().stream().flatMap(message -> keys(message).stream()).toList();
            assertThat(keys).hasSize(threads * perThread).doesNotHaveDuplicates();
            assertThat(b.bus.statistics().gaps()).isZero();
        }
    }

    @Test
    void changesQueuedWhenTheBusStopsAreSentBeforeItsGoodbye() throws Exception {
        Instance sender = new Instance(redis.port(), Duration.ofSeconds(2), Duration.ofSeconds(1));
        try (RawSubscription channel = new RawSubscription(redis.port(), sender.bus.senderId())) {
            awaitHealthy(sender);
            b.cache("products");
            await().atMost(Duration.ofSeconds(5)).until(() -> b.bus.peerCount() == 2);
            long receivedBefore = b.bus.statistics().keysReceived();
            sender.bus.keysChanged("products", "first");
            // Held back by the one-second window, then sent by stop().
            sender.bus.keysChanged("products", "second");
            sender.bus.stop();
            await().atMost(Duration.ofSeconds(5)).until(() -> channel.all().stream()
                    .anyMatch(message -> InvalidationMessage.BYE.equals(message.type())));
            List<InvalidationMessage> all = channel.all();
            assertThat(all.get(all.size() - 1).type()).as("the goodbye comes last").isEqualTo(InvalidationMessage.BYE);
            assertThat(channel.invalidations().stream().flatMap(message -> keys(message).stream()))
                    .containsExactly("first", "second");
            await().atMost(Duration.ofSeconds(2)).until(() -> b.bus.statistics().keysReceived() - receivedBefore == 2);
            assertThat(b.bus.statistics().gaps()).isZero();
        }
        finally {
            sender.close();
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

    private static List<String> keys(InvalidationMessage message) {
        List<String> keys = new ArrayList<>();
        for (InvalidationMessage.Operation operation : Objects.requireNonNull(message.operations())) {
            keys.addAll(Objects.requireNonNull(operation.keys()));
        }
        return keys;
    }

    /** A plain Lettuce subscription to the channel, keeping every message of one sender in arrival order. */
    static final class RawSubscription implements AutoCloseable {

        private final RedisClient client;
        private final StatefulRedisPubSubConnection<byte[], byte[]> connection;
        private final List<InvalidationMessage> received = new ArrayList<>();

        RawSubscription(int port, String sender) {
            this.client = RedisClient.create(RedisURI.create("127.0.0.1", port));
            this.connection = client.connectPubSub(ByteArrayCodec.INSTANCE);
            connection.addListener(new RedisPubSubAdapter<byte[], byte[]>() {
                @Override
                public void message(byte[] channel, byte[] body) {
                    InvalidationMessage message = InvalidationMessage.fromBytes(body);
                    if (message.sender().equals(sender)) {
                        synchronized (received) {
                            received.add(message);
                        }
                    }
                }
            });
            connection.sync().subscribe("t:invalidation".getBytes(StandardCharsets.UTF_8));
        }

        /** @return every message of the sender received so far */
        List<InvalidationMessage> all() {
            synchronized (received) {
                return List.copyOf(received);
            }
        }

        /** @return the sender's invalidations received so far */
        List<InvalidationMessage> invalidations() {
            return all().stream().filter(message -> InvalidationMessage.INVALIDATE.equals(message.type())).toList();
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
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
            this(port, commandTimeout, Duration.ZERO);
        }

        /** With a batch window; heartbeats every 100ms, or every window when that is longer (a window is at most an interval). */
        Instance(int port, Duration commandTimeout, Duration batchWindow) {
            Duration heartbeat = (batchWindow.compareTo(Duration.ofMillis(100)) > 0) ? batchWindow : Duration.ofMillis(100);
            this.engine = TestRedis.standalone(port, "t", commandTimeout, InvalidationPublisher.NONE)
                    .withBus(heartbeat, heartbeat.multipliedBy(6), batchWindow);
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
