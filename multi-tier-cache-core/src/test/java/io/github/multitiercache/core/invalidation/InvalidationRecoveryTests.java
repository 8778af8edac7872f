package io.github.multitiercache.core.invalidation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.InvalidationPublisher;
import io.github.multitiercache.core.TestRedis;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What operators see when the channel breaks and heals: several instances on one real Redis, the
 * bus's log captured. Every gap still drops L1 when it is detected; the log says so once per
 * episode, with counts, and the channel's state changes once each way.
 */
class InvalidationRecoveryTests {

    private static final Duration HEARTBEAT = Duration.ofMillis(100);
    private static final Duration MAX_STALENESS = Duration.ofMillis(600);
    private static final String DROPPED = "Dropped L1 of every cache after ";

    private final Logger logger = (Logger) LoggerFactory.getLogger(InvalidationBus.class);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private RedisServer redis;
    private final List<TestRedis> instances = new ArrayList<>();

    @BeforeEach
    void start() {
        log.start();
        logger.addAppender(log);
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() {
        instances.forEach(TestRedis::close);
        redis.close();
        logger.detachAppender(log);
    }

    private List<TestRedis> startInstances(int count) {
        for (int i = 0; i < count; i++) {
            instances.add(TestRedis.standalone(redis.port(), "r", Duration.ofMillis(250), InvalidationPublisher.NONE)
                    .withBus(HEARTBEAT, MAX_STALENESS));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> instances.stream()
                .allMatch(instance -> instance.busReady() && bus(instance).peerCount() == count - 1));
        return instances;
    }

    private static InvalidationBus bus(TestRedis instance) {
        return Objects.requireNonNull(instance.bus);
    }

    @Test
    void aRedisRestartLogsOneGapLinePerInstanceAndChangesTheChannelStateOnceEachWay() throws Exception {
        List<TestRedis> fleet = startInstances(3);
        List<TieredCache> caches = new ArrayList<>();
        for (TestRedis instance : fleet) {
            TieredCache cache = instance.cache("products", CacheSettings.defaults().toBuilder()
                    .l1Ttl(Duration.ofHours(1)).l2Ttl(Duration.ofHours(1)).build());
            cache.put("k", "v");
            caches.add(cache);
        }
        // Whatever startup logged is out of the way (a gap waits max-staleness to be logged).
        Thread.sleep(MAX_STALENESS.multipliedBy(2).toMillis());
        int[] epochs = fleet.stream().mapToInt(instance -> Objects.requireNonNull(instance.guard).epoch()).toArray();
        long[] gapsBefore = fleet.stream().mapToLong(instance -> bus(instance).statistics().gaps()).toArray();
        assertThat(fleet).allMatch(instance -> bus(instance).isHealthy());
        StateHistory history = new StateHistory(fleet);
        log.list.clear();

        history.start();
        redis.kill();
        // Longer than max-staleness: own heartbeats stop coming back, peers fall silent, and the
        // heartbeats published meanwhile are rejected by the breaker or queued by Lettuce.
        Thread.sleep(2_500);
        redis.restart();
        await().atMost(Duration.ofSeconds(20)).until(() -> fleet.stream().allMatch(instance -> bus(instance).isHealthy())
                && droppedLines().size() >= fleet.size());
        // Long enough for any late gap or flap to show.
        Thread.sleep(MAX_STALENESS.multipliedBy(3).toMillis());
        history.stop();

        for (int i = 0; i < fleet.size(); i++) {
            InvalidationBus bus = bus(fleet.get(i));
            String self = "; this instance is " + bus.senderId();
            List<String> lines = droppedLines().stream().filter(line -> line.endsWith(self)).toList();
            assertThat(lines).as("gap lines of instance %d in %s", i, droppedLines()).hasSize(1);
            String line = lines.get(0);
            assertThat(line).contains("resubscription to r:invalidation");
            long gaps = bus.statistics().gaps() - gapsBefore[i];
            if (gaps > 1) {
                assertThat(line).as("the line counts the gaps it covers").contains("(" + gaps + " gaps in ");
            }
            assertThat(history.of(i)).as("states of instance %d", i).containsExactly("degraded", "live");
            assertThat(Objects.requireNonNull(fleet.get(i).guard).epoch()).as("L1 dropped").isGreaterThan(epochs[i]);
            assertThat(caches.get(i).lookup("k")).as("the restarted Redis is empty and L1 was dropped").isNull();
        }
        assertThat(messages(Level.WARN, "L1 is degraded")).as("degraded lines").hasSize(fleet.size());
        assertThat(messages(Level.INFO, "is live again")).as("live lines").hasSize(fleet.size());
    }

    @Test
    void gapsInQuickSuccessionAreLoggedOnceWithTheirCountsAndEachDropsL1() throws Exception {
        List<TestRedis> fleet = startInstances(2);
        log.list.clear();
        int[] epochs = fleet.stream().mapToInt(instance -> Objects.requireNonNull(instance.guard).epoch()).toArray();
        publish("{\"v\":1,\"s\":\"other\",\"q\":1,\"t\":0,\"y\":\"h\"}");
        publish("{\"v\":1,\"s\":\"other\",\"q\":5,\"t\":0,\"y\":\"h\"}");
        publish("{\"v\":1,\"s\":\"other\",\"q\":9,\"t\":0,\"y\":\"h\"}");
        await().atMost(Duration.ofSeconds(2)).until(() -> fleet.stream().allMatch(instance -> bus(instance).statistics().gaps() == 2));
        for (int i = 0; i < fleet.size(); i++) {
            assertThat(Objects.requireNonNull(fleet.get(i).guard).epoch()).as("one L1 drop per gap")
                    .isGreaterThanOrEqualTo(epochs[i] + 2);
        }
        // The line waits until the channel has been quiet for max-staleness; "other" keeps talking
        // so as not to fall silent meanwhile.
        long q = 10;
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (droppedLines().size() < fleet.size() && System.nanoTime() < until) {
            publish("{\"v\":1,\"s\":\"other\",\"q\":" + q++ + ",\"t\":0,\"y\":\"h\"}");
            Thread.sleep(HEARTBEAT.toMillis());
        }
        publish("{\"v\":1,\"s\":\"other\",\"q\":" + q + ",\"t\":0,\"y\":\"b\"}");
        Thread.sleep(MAX_STALENESS.multipliedBy(2).toMillis());

        for (TestRedis instance : fleet) {
            String self = "; this instance is " + bus(instance).senderId();
            List<String> lines = droppedLines().stream().filter(line -> line.endsWith(self)).toList();
            assertThat(lines).as("gap lines").hasSize(1);
            assertThat(lines.get(0)).matches(Pattern.quote(DROPPED + "6 lost message(s) from instance other (2 gaps in ")
                    + "\\d+" + Pattern.quote("ms, each dropped L1)" + self));
            assertThat(bus(instance).statistics().gaps()).isEqualTo(2);
        }
    }

    private void publish(String json) {
        redis.command("PUBLISH", "r:invalidation", json);
    }

    private List<String> droppedLines() {
        return messages(Level.WARN, DROPPED);
    }

    private List<String> messages(Level level, String part) {
        synchronized (log.list) {
            return List.copyOf(log.list).stream().filter(event -> event.getLevel() == level)
                    .map(ILoggingEvent::getFormattedMessage).filter(message -> message.contains(part)).toList();
        }
    }

    /** Every change of each instance's channel state, watched every millisecond. */
    private static final class StateHistory {

        private final List<TestRedis> fleet;
        private final List<List<String>> changes = new ArrayList<>();
        private final Thread watcher;

        StateHistory(List<TestRedis> fleet) {
            this.fleet = fleet;
            fleet.forEach(instance -> changes.add(new CopyOnWriteArrayList<>()));
            this.watcher = new Thread(this::watch, "state-history");
            watcher.setDaemon(true);
        }

        private void watch() {
            boolean[] live = new boolean[fleet.size()];
            for (int i = 0; i < live.length; i++) {
                live[i] = true;
            }
            while (!Thread.currentThread().isInterrupted()) {
                for (int i = 0; i < live.length; i++) {
                    boolean now = bus(fleet.get(i)).isHealthy();
                    if (now != live[i]) {
                        changes.get(i).add(now ? "live" : "degraded");
                        live[i] = now;
                    }
                }
                try {
                    Thread.sleep(1);
                }
                catch (InterruptedException ex) {
                    return;
                }
            }
        }

        void start() {
            watcher.start();
        }

        void stop() throws InterruptedException {
            watcher.interrupt();
            watcher.join(5_000);
        }

        List<String> of(int instance) {
            return changes.get(instance);
        }
    }
}
