package io.github.multitiercache.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A load driver, not a test: the end-to-end lag of cross-instance invalidation, from a write
 * returning on instance A to the key being gone from instance B's L1, beside a raw Redis
 * {@code PUBLISH} → receive on a second Lettuce pub/sub connection, at a low and a high fixed write
 * rate, on a Redis of its own. Skipped unless {@code -Dinvalidation.driver=true}:
 *
 * <pre>
 * ./mvnw -B -o -q test -pl multi-tier-cache-autoconfigure -am -Dtest=InvalidationLagLoadDriver \
 *     -Dinvalidation.driver=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>The report goes to standard output (which surefire keeps in
 * {@code target/surefire-reports/*InvalidationLagLoadDriver-output.txt}) and to
 * {@code target/load-drivers/InvalidationLagLoadDriver.txt}.
 *
 * <p>Each write on A puts a new value for a key that B holds in L1, one new key per write, at a
 * fixed rate (the writer thread parks until each write is due). A watcher thread on B polls B's L1
 * for every written key not yet gone (a quiet read, which Caffeine does not count as an access),
 * yielding between passes, and records when each disappears. For the raw baseline the listener
 * records each arrival itself, and the same watcher runs beside it (polling the arrivals), so that
 * both contenders share the 2 cores with the same busy thread. Two multi-tier configurations run:
 * the default (no batch window: group commit alone) and a 5 ms batch window. The contenders take
 * turns in short rounds. A key still served from B's L1 {@value #DRAIN_SECONDS} seconds after the
 * last write fails the driver.
 *
 * <p>{@code -Dinvalidation.driver.low-rate}, {@code .low-rounds} (of 2 s), {@code .high-rate} and
 * {@code .high-rounds} (of 1 s) change the defaults: 100/s × 3 and 3000/s × 10.
 */
@EnabledIfSystemProperty(named = "invalidation.driver", matches = "true")
class InvalidationLagLoadDriver {

    private static final int LOW_RATE = Integer.getInteger("invalidation.driver.low-rate", 100);
    private static final int LOW_ROUNDS = Integer.getInteger("invalidation.driver.low-rounds", 3);
    private static final int LOW_ROUND_SECONDS = 2;
    private static final int HIGH_RATE = Integer.getInteger("invalidation.driver.high-rate", 3000);
    private static final int HIGH_ROUNDS = Integer.getInteger("invalidation.driver.high-rounds", 10);
    private static final int HIGH_ROUND_SECONDS = 1;
    private static final int WARM_UP_WRITES = 3000;
    private static final int DRAIN_SECONDS = 5;
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
    private static final String CACHE = "lag";
    private static final String STILL_SERVED = "still served from L1";

    @Test
    void measureInvalidationLag() throws Exception {
        StringBuilder report = new StringBuilder();
        List<Contender> contenders = new ArrayList<>();
        long stillServed = 0;
        long began = System.nanoTime();
        try (RedisServer redis = RedisServer.start()) {
            report.append(String.format("Invalidation lag: write returned on A -> key gone from B's L1; baseline raw "
                    + "PUBLISH -> receive.%nRedis %s on %s; %d cores; per contender %d/s in %d rounds of %d s and %d/s "
                    + "in %d rounds of %d s, contenders taking turns; one new key per write; load average at start "
                    + "%s%n",
                    redisVersion(redis), redis.address(), Runtime.getRuntime().availableProcessors(), LOW_RATE,
                    LOW_ROUNDS, LOW_ROUND_SECONDS, HIGH_RATE, HIGH_ROUNDS, HIGH_ROUND_SECONDS, Samples.loadAverage()));
            contenders.add(new RawPubSub(redis));
            contenders.add(TwoInstances.start(redis, "0ms"));
            contenders.add(TwoInstances.start(redis, "5ms"));
            // Not reported: JIT compilation of every path.
            for (Contender contender : contenders) {
                contender.run("warm-up", HIGH_RATE, WARM_UP_WRITES, new Tally(contender.name(), HIGH_RATE));
            }
            Map<Integer, List<Tally>> byRate = new LinkedHashMap<>();
            byRate.put(LOW_RATE, measure(contenders, LOW_RATE, LOW_ROUNDS, LOW_ROUND_SECONDS));
            byRate.put(HIGH_RATE, measure(contenders, HIGH_RATE, HIGH_ROUNDS, HIGH_ROUND_SECONDS));
            for (List<Tally> tallies : byRate.values()) {
                for (Tally tally : tallies) {
                    report.append(tally.lines());
                    stillServed += tally.count(STILL_SERVED);
                }
            }
            report.append(String.format("%nRatios to raw PUBLISH -> receive in the same run, timed by its listener "
                    + "and (second line) as seen by the same watcher thread as ours; 'rounds' compares the median of "
                    + "the rounds' p99s, which one stalled round cannot move:%n"));
            byRate.forEach((rate, tallies) -> {
                Tally raw = tallies.get(0);
                Samples.Summary listened = raw.lag.summary();
                Samples.Summary watched = raw.secondary.summary();
                for (Tally tally : tallies.subList(1, tallies.size())) {
                    Samples.Summary lag = tally.lag.summary();
                    report.append(String.format("  %5d/s  %-36s p50 %6.2fx  p99 %6.2fx  p99.9 %6.2fx  "
                            + "rounds p99 %6.2fx%n  %5s    %-36s p50 %6.2fx  p99 %6.2fx  p99.9 %6.2fx  "
                            + "rounds p99 %6.2fx%n", rate,
                            tally.contender, ratio(lag.p50(), listened.p50()), ratio(lag.p99(), listened.p99()),
                            ratio(lag.p999(), listened.p999()), ratio(tally.medianRoundP99(), raw.medianRoundP99()),
                            "", "  (to raw as seen by the watcher)", ratio(lag.p50(), watched.p50()),
                            ratio(lag.p99(), watched.p99()), ratio(lag.p999(), watched.p999()),
                            ratio(tally.medianRoundP99(), raw.medianSecondaryRoundP99())));
                }
            });
            report.append(String.format("Load average at end %s; %d s in all%n", Samples.loadAverage(),
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began)));
        }
        finally {
            contenders.forEach(Contender::close);
        }
        System.out.println(report);
        writeReport("InvalidationLagLoadDriver.txt", report);
        assertThat(stillServed).as("keys still served from B's L1 %d s after their write on A", DRAIN_SECONDS)
                .isZero();
    }

    /** Runs every contender for {@code rounds} rounds at one rate. */
    private static List<Tally> measure(List<Contender> contenders, int rate, int rounds, int seconds)
            throws Exception {
        List<Tally> tallies = new ArrayList<>();
        for (Contender contender : contenders) {
            tallies.add(new Tally(contender.name(), rate));
        }
        // Turn by turn, so that a busy spell of the shared machine does not fall on one contender only.
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < contenders.size(); i++) {
                contenders.get(i).run("r" + rate + "-" + round, rate, rate * seconds, tallies.get(i));
            }
        }
        return tallies;
    }

    private static double ratio(long value, long baseline) {
        return (baseline == 0) ? Double.NaN : (double) value / baseline;
    }

    static String redisVersion(RedisServer redis) {
        return redis.info("server").lines().filter(line -> line.startsWith("redis_version:"))
                .map(line -> line.substring("redis_version:".length()).trim()).findFirst().orElse("?");
    }

    static void writeReport(String fileName, CharSequence report) throws IOException {
        Path directory = Path.of("target", "load-drivers");
        Files.createDirectories(directory);
        Files.writeString(directory.resolve(fileName), report);
    }

    private static String[] keys(String round, int count) {
        String[] keys = new String[count];
        for (int i = 0; i < count; i++) {
            keys[i] = round + "-" + i;
        }
        return keys;
    }

    /** One way of telling another party that a key changed, driven at a fixed rate. */
    private interface Contender {

        String name();

        /** Runs {@code writes} writes at {@code rate} per second, adding what it measured to {@code tally}. */
        void run(String round, int rate, int writes, Tally tally) throws Exception;

        void close();
    }

    /** What one contender measured at one rate, over all its rounds. */
    private static final class Tally {

        final String contender;
        final int rate;
        /** Write returned (or PUBLISH handed to Lettuce) → gone from L1 (or received). */
        final Samples lag = new Samples();
        final Samples secondary = new Samples();
        String secondaryName = "";
        private final List<Long> roundP99s = new ArrayList<>();
        private final List<Long> secondaryRoundP99s = new ArrayList<>();
        private final Map<String, Long> counts = new LinkedHashMap<>();
        private long writes;
        private long elapsedNanos;

        Tally(String contender, int rate) {
            this.contender = contender;
            this.rate = rate;
        }

        void add(String name, long count) {
            counts.merge(name, count, Long::sum);
        }

        long count(String name) {
            return counts.getOrDefault(name, 0L);
        }

        void wrote(Writes done) {
            writes += done.doneAt().length;
            elapsedNanos += done.elapsedNanos();
        }

        /** Adds one round's lags and secondary measurements. */
        void round(Samples roundLag, Samples roundSecondary) {
            lag.addAll(roundLag);
            roundP99s.add(roundLag.summary().p99());
            secondary.addAll(roundSecondary);
            secondaryRoundP99s.add(roundSecondary.summary().p99());
        }

        long medianRoundP99() {
            return median(roundP99s);
        }

        long medianSecondaryRoundP99() {
            return median(secondaryRoundP99s);
        }

        private static long median(List<Long> values) {
            List<Long> sorted = values.stream().sorted().toList();
            return sorted.isEmpty() ? 0 : sorted.get((sorted.size() - 1) / 2);
        }

        String lines() {
            StringBuilder counted = new StringBuilder();
            counts.forEach((name, count) -> counted.append((counted.length() == 0) ? "" : ", ").append(name)
                    .append(' ').append(count));
            return String.format("[%5d/s] %-36s %,6d writes at %,5.0f/s  lag %s%n          %-47s %s%n"
                    + "          p99 of each round (µs) %s, median %,d; of the line above: median %,d%n          %s%n",
                    rate, contender, writes, writes * 1e9 / elapsedNanos, lag.summary().micros(), secondaryName,
                    secondary.summary().micros(), roundP99s.stream().map(p99 -> p99 / 1_000).toList(),
                    medianRoundP99() / 1_000, medianSecondaryRoundP99() / 1_000, counted);
        }
    }

    /** Writes at a fixed rate: write {@code i} is due {@code i / rate} seconds after the start. */
    private record Writes(long[] doneAt, long elapsedNanos) {

        static Writes atRate(int rate, int writes, AtomicInteger written, IntConsumer write) {
            long[] doneAt = new long[writes];
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (int i = 0; i < writes; i++) {
                long due = start + i * period;
                long left;
                while ((left = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(left);
                }
                write.accept(i);
                doneAt[i] = System.nanoTime();
                written.set(i + 1);
            }
            return new Writes(doneAt, System.nanoTime() - start);
        }
    }

    /**
     * Polls every written key not yet seen gone, recording when each is; stops when all are, or
     * {@link #DRAIN_NANOS} after the last write.
     */
    private static final class Watcher {

        private final int writes;
        private final AtomicInteger written;
        private final IntPredicate gone;
        private final long[] seenAt;
        private final Thread thread;

        private Watcher(int writes, AtomicInteger written, IntPredicate gone) {
            this.writes = writes;
            this.written = written;
            this.gone = gone;
            this.seenAt = new long[writes];
            this.thread = new Thread(this::watch, "lag-watcher");
            thread.setDaemon(true);
        }

        static Watcher start(int writes, AtomicInteger written, IntPredicate gone) {
            Watcher watcher = new Watcher(writes, written, gone);
            watcher.thread.start();
            return watcher;
        }

        /** @return when each write was seen to have arrived, 0 for those never seen */
        long[] await() throws InterruptedException {
            thread.join();
            return seenAt;
        }

        private void watch() {
            int[] pending = new int[256];
            int count = 0;
            int next = 0;
            long deadline = 0;
            while (true) {
                int available = written.get();
                while (next < available) {
                    if (count == pending.length) {
                        pending = Arrays.copyOf(pending, count * 2);
                    }
                    pending[count++] = next++;
                }
                int kept = 0;
                for (int j = 0; j < count; j++) {
                    int i = pending[j];
                    if (gone.test(i)) {
                        seenAt[i] = System.nanoTime();
                    }
                    else {
                        pending[kept++] = i;
                    }
                }
                count = kept;
                if (next == writes) {
                    long now = System.nanoTime();
                    if (count == 0) {
                        return;
                    }
                    if (deadline == 0) {
                        deadline = now + DRAIN_NANOS;
                    }
                    else if (now - deadline > 0) {
                        return;
                    }
                }
                // Busy, but leaves the core to any other thread that wants it.
                Thread.yield();
            }
        }
    }

    /**
     * The baseline: one message per write, in the same JSON shape as the bus's, published on one
     * Lettuce connection and received on a second, pub/sub one.
     */
    private static final class RawPubSub implements Contender {

        private static final byte[] CHANNEL = "raw:invalidation".getBytes(StandardCharsets.UTF_8);

        private final RedisClient client;
        private final StatefulRedisConnection<byte[], byte[]> publisher;
        private final StatefulRedisPubSubConnection<byte[], byte[]> subscriber;
        private final String sender = UUID.randomUUID().toString();
        private volatile AtomicLongArray arrivals = new AtomicLongArray(0);
        private volatile long base;
        private long nextBase = 1;

        RawPubSub(RedisServer redis) {
            this.client = RedisClient.create(RedisURI.create(redis.host(), redis.port()));
            this.publisher = client.connect(ByteArrayCodec.INSTANCE);
            this.subscriber = client.connectPubSub(ByteArrayCodec.INSTANCE);
            subscriber.addListener(new RedisPubSubAdapter<byte[], byte[]>() {
                @Override
                public void message(byte[] channel, byte[] message) {
                    received(message);
                }
            });
            subscriber.sync().subscribe(CHANNEL);
        }

        @Override
        public String name() {
            return "raw PUBLISH -> receive (Lettuce)";
        }

        private void received(byte[] message) {
            long at = System.nanoTime();
            long index = sequence(message) - base;
            AtomicLongArray current = arrivals;
            if (index >= 0 && index < current.length()) {
                current.set((int) index, at);
            }
        }

        /** The {@code "q"} field, read the cheap way (the bus parses its messages with Jackson). */
        private static long sequence(byte[] message) {
            for (int i = 0; i + 4 < message.length; i++) {
                if (message[i] == '"' && message[i + 1] == 'q' && message[i + 2] == '"' && message[i + 3] == ':') {
                    long value = 0;
                    for (int j = i + 4; j < message.length && message[j] >= '0' && message[j] <= '9'; j++) {
                        value = value * 10 + (message[j] - '0');
                    }
                    return value;
                }
            }
            return -1;
        }

        private byte[] message(long sequence, String key) {
            Instant now = Instant.now();
            long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
            return ("{\"v\":1,\"s\":\"" + sender + "\",\"q\":" + sequence + ",\"t\":" + micros
                    + ",\"y\":\"i\",\"o\":[{\"c\":\"" + CACHE + "\",\"k\":[\"" + key + "\"]}]}")
                    .getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void run(String round, int rate, int writes, Tally tally) throws Exception {
            String[] keys = keys(round, writes);
            AtomicLongArray arrived = new AtomicLongArray(writes);
            arrivals = arrived;
            long first = nextBase;
            base = first;
            nextBase += writes;
            AtomicInteger written = new AtomicInteger();
            Watcher watcher = Watcher.start(writes, written, i -> arrived.get(i) != 0);
            RedisAsyncCommands<byte[], byte[]> commands = publisher.async();
            Writes sent = Writes.atRate(rate, writes, written,
                    i -> commands.publish(CHANNEL, message(first + i, keys[i])));
            long[] seenAt = watcher.await();
            tally.wrote(sent);
            tally.secondaryName = "the same, as seen by the watcher thread:";
            tally.add("not received", 0);
            tally.add("received before publish() returned", 0);
            Samples lags = new Samples();
            Samples seen = new Samples();
            for (int i = 0; i < writes; i++) {
                long at = arrived.get(i);
                if (at == 0) {
                    tally.add("not received", 1);
                    continue;
                }
                // The publishing thread had not got back from handing the command to Lettuce yet.
                tally.add("received before publish() returned", (at < sent.doneAt()[i]) ? 1 : 0);
                lags.add(Math.max(0, at - sent.doneAt()[i]));
                seen.add(Math.max(0, seenAt[i] - sent.doneAt()[i]));
            }
            tally.round(lags, seen);
        }

        @Override
        public void close() {
            subscriber.close();
            publisher.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Two application contexts on one Redis: A writes, B holds the keys in L1. */
    private static final class TwoInstances implements Contender {

        private final String batchWindow;
        private final ConfigurableApplicationContext a;
        private final ConfigurableApplicationContext b;
        private final MultiTierCache writer;
        private final MultiTierCache reader;
        private final L1Tier readerL1;
        private final L1Guard readerGuard;
        private final InvalidationStatistics writerBus;
        private final InvalidationStatistics readerBus;
        private volatile Samples busLag = new Samples();

        private TwoInstances(String batchWindow, ConfigurableApplicationContext a, ConfigurableApplicationContext b) {
            this.batchWindow = batchWindow;
            this.a = a;
            this.b = b;
            this.writer = cache(a);
            this.reader = cache(b);
            L1Tier l1 = reader.getNativeCache().insight().l1();
            if (l1 == null) {
                throw new IllegalStateException("cache '" + CACHE + "' has no L1");
            }
            this.readerL1 = l1;
            this.readerGuard = b.getBean(L1Guard.class);
            this.writerBus = bus(a).statistics();
            this.readerBus = bus(b).statistics();
            bus(b).setLagListener(micros -> busLag.add(micros * 1_000));
        }

        static TwoInstances start(RedisServer redis, String batchWindow) {
            String prefix = "lag" + batchWindow;
            ConfigurableApplicationContext a = instance(redis, prefix, batchWindow);
            ConfigurableApplicationContext b;
            try {
                b = instance(redis, prefix, batchWindow);
            }
            catch (RuntimeException ex) {
                a.close();
                throw ex;
            }
            TwoInstances pair = new TwoInstances(batchWindow, a, b);
            try {
                // Both channels live and each instance has heard the other, so that no first message looks like a gap.
                await().atMost(Duration.ofSeconds(10)).until(() -> bus(a).isHealthy() && bus(b).isHealthy()
                        && bus(a).peerCount() > 0 && bus(b).peerCount() > 0);
            }
            catch (RuntimeException ex) {
                pair.close();
                throw ex;
            }
            return pair;
        }

        private static ConfigurableApplicationContext instance(RedisServer redis, String prefix, String batchWindow) {
            long l1Size = 2L * Math.max(WARM_UP_WRITES, HIGH_RATE * HIGH_ROUND_SECONDS) + 10_000;
            return new SpringApplicationBuilder(CachingConfiguration.class).web(WebApplicationType.NONE)
                    .bannerMode(Banner.Mode.OFF).logStartupInfo(false)
                    .properties("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                            "multi-tier-cache.key-prefix=" + prefix,
                            "multi-tier-cache.invalidation.batch-window=" + batchWindow,
                            "multi-tier-cache.caches." + CACHE + ".l1.maximum-size=" + l1Size,
                            "multi-tier-cache.caches." + CACHE + ".l1.ttl=1h",
                            "multi-tier-cache.caches." + CACHE + ".l2.ttl=1h")
                    .run();
        }

        private static InvalidationBus bus(ConfigurableApplicationContext context) {
            return context.getBean(InvalidationBus.class);
        }

        private static MultiTierCache cache(ConfigurableApplicationContext context) {
            return context.getBean(MultiTierCacheManager.class).getCache(CACHE);
        }

        @Override
        public String name() {
            return "multi-tier-cache, batch-window " + batchWindow + ("0ms".equals(batchWindow) ? " (default)" : "");
        }

        @Override
        public void run(String round, int rate, int writes, Tally tally) throws Exception {
            String[] keys = keys(round, writes);
            warm(keys);
            int epoch = readerGuard.epoch();
            long messagesBefore = writerBus.messagesSent() - writerBus.heartbeatsSent();
            long keysBefore = writerBus.keysSent();
            long gapsBefore = readerBus.gaps();
            long flushesBefore = readerBus.flushes();
            long degradationsBefore = readerBus.degradations();
            long removedBefore = readerL1.expirations() + readerL1.sizeEvictions();
            Samples listened = new Samples();
            busLag = listened;
            tally.secondaryName = "bus lag listener (message sent -> received):";
            AtomicInteger written = new AtomicInteger();
            // A quiet read (no access recorded, no maintenance scheduled), so that polling costs B no more
            // than polling the raw arrivals costs; the entries' own epoch, so that an L1 flush does not
            // count as an invalidation.
            Watcher watcher = Watcher.start(writes, written,
                    i -> readerL1.remainingNanosByText(keys[i], epoch) < 0);
            Writes puts = Writes.atRate(rate, writes, written, i -> writer.put(keys[i], "v2-" + i));
            long[] goneAt = watcher.await();
            busLag = new Samples();
            tally.wrote(puts);
            tally.add(STILL_SERVED, 0);
            Samples lags = new Samples();
            for (int i = 0; i < writes; i++) {
                if (goneAt[i] != 0) {
                    lags.add(goneAt[i] - puts.doneAt()[i]);
                    continue;
                }
                L1Entry entry = readerL1.get(keys[i]);
                if (entry == null) {
                    tally.add("removed only after " + DRAIN_SECONDS + " s", 1);
                }
                else if (entry.epoch() == readerGuard.epoch()) {
                    tally.add(STILL_SERVED, 1);
                }
                else {
                    tally.add("not removed but hidden by an L1 flush", 1);
                }
            }
            tally.round(lags, listened);
            tally.add("messages", writerBus.messagesSent() - writerBus.heartbeatsSent() - messagesBefore);
            tally.add("keys sent", writerBus.keysSent() - keysBefore);
            tally.add("B gaps", readerBus.gaps() - gapsBefore);
            tally.add("B flushes", readerBus.flushes() - flushesBefore);
            tally.add("B degradations", readerBus.degradations() - degradationsBefore);
            tally.add("B L1 expirations+evictions",
                    readerL1.expirations() + readerL1.sizeEvictions() - removedBefore);
        }

        /**
         * Gets every key into B's L1 and checks that it is there: A writes them (on several
         * threads), then, once A's invalidations have reached B, B reads them (on several threads),
         * filling its L1 from Redis. Puts on B would be simpler, but a put does not fill L1 when
         * another put to the same cache ran meanwhile on the instance, so they would need one thread.
         */
        private void warm(String[] keys) throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                forEach(pool, keys, key -> writer.put(key, "v1-" + key));
                long received;
                do {
                    received = readerBus.keysReceived();
                    Thread.sleep(100);
                }
                while (readerBus.keysReceived() != received);
                forEach(pool, keys, reader::get);
            }
            finally {
                pool.shutdownNow();
            }
            int epoch = readerGuard.epoch();
            List<String> missing = Arrays.stream(keys)
                    .filter(key -> readerL1.remainingNanosByText(key, epoch) < 0).toList();
            if (!missing.isEmpty() || readerGuard.isDegraded()) {
                throw new IllegalStateException(missing.size() + " keys are not in B's L1 after warming (degraded: "
                        + readerGuard.isDegraded() + "), e.g. " + missing.stream().limit(3).toList());
            }
        }

        private static void forEach(ExecutorService pool, String[] keys, Consumer<String> action) throws Exception {
            List<Future<?>> calls = new ArrayList<>();
            for (String key : keys) {
                calls.add(pool.submit(() -> action.accept(key)));
            }
            for (Future<?> call : calls) {
                call.get(30, TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() {
            a.close();
            b.close();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, MultiTierCacheAutoConfiguration.class,
            CacheAutoConfiguration.class })
    static class CachingConfiguration {
    }
}
