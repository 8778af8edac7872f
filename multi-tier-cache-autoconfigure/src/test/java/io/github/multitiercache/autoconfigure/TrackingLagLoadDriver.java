package io.github.multitiercache.autoconfigure;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.KeyTracking;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
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
 * A load driver, not a test: the lag from a {@code SET} by a raw Lettuce client (not the library)
 * to the key's L1 copy being gone on three instances, beside a raw {@code PUBLISH} → received by
 * three pub/sub connections (the floor that {@link InvalidationLagLoadDriver} measures); then the
 * CPU that Redis and this JVM (three instances and the writer) spend on outside writes, with
 * tracking on and off. Skipped unless {@code -Dtracking.driver=true}:
 *
 * <pre>
 * ./mvnw -B -o -q test -pl multi-tier-cache-autoconfigure -am -Dtest=TrackingLagLoadDriver \
 *     -Dtracking.driver=true -Dsurefire.failIfNoSpecifiedTests=false
 * cat multi-tier-cache-autoconfigure/target/load-drivers/TrackingLagLoadDriver.txt
 * </pre>
 *
 * <p>Lag: before each round every key of the round is written (by the raw client) and read on the
 * three instances, so that each holds it in L1. The writer then overwrites one key per write at a
 * fixed rate; a watcher thread polls the three L1s (a quiet read) for every written key not yet
 * gone everywhere, yielding between passes. Lag runs from just before the {@code SET} is handed to
 * Lettuce to the moment the watcher sees the key gone on all three. The raw floor runs from just
 * before the {@code PUBLISH} to the third subscriber's listener. 100/s in 3 rounds of 2 s, 3000/s in
 * 5 rounds of 1 s, taking turns. A key still served 5 s after its write fails the driver.
 *
 * <p>CPU: 5 s of outside writes at each rate, three instances idle, first with tracking on, then
 * (after those instances are closed) with three instances with tracking off; Redis's
 * {@code used_cpu_user + used_cpu_sys} and this JVM's process CPU time, per second of wall time.
 */
@EnabledIfSystemProperty(named = "tracking.driver", matches = "true")
class TrackingLagLoadDriver {

    private static final String CACHE = "lag";
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int CPU_SECONDS = 5;

    @Test
    void measureOutsideWriteLag() throws Exception {
        StringBuilder report = new StringBuilder();
        long stillServed = 0;
        try (RedisServer redis = RedisServer.start()) {
            RedisClient client = RedisClient.create(RedisURI.create(redis.host(), redis.port()));
            StatefulRedisConnection<byte[], byte[]> writer = client.connect(ByteArrayCodec.INSTANCE);
            RawPubSub raw = new RawPubSub(client);
            report.append(String.format("Outside SET -> L1 copy gone on 3 instances; baseline raw PUBLISH -> received "
                    + "by 3 subscribers.%nRedis %s on %s; %d cores; load average at start %s%n",
                    InvalidationLagLoadDriver.redisVersion(redis), redis.address(),
                    Runtime.getRuntime().availableProcessors(), Samples.loadAverage()));
            List<ConfigurableApplicationContext> instances = start(redis, true);
            try {
                byte[] value = entryBytes(instances.get(0), writer.sync());
                // Warm-up, not reported.
                lagRound(instances, writer.sync(), value, "warm", 3000, 3000, new Samples());
                raw.round(3000, 3000, new Samples());
                for (int[] rate : new int[][] { { 100, 3, 2 }, { 3000, 5, 1 } }) {
                    Samples tracked = new Samples();
                    Samples floor = new Samples();
                    long missed = 0;
                    for (int round = 0; round < rate[1]; round++) {
                        missed += lagRound(instances, writer.sync(), value, "r" + rate[0] + "-" + round, rate[0],
                                rate[0] * rate[2], tracked);
                        raw.round(rate[0], rate[0] * rate[2], floor);
                    }
                    stillServed += missed;
                    Samples.Summary ours = tracked.summary();
                    Samples.Summary base = floor.summary();
                    report.append(String.format("[%5d/s] outside SET -> gone on 3 L1s  %,6d  %s%n"
                            + "          raw PUBLISH -> 3rd receiver     %,6d  %s%n"
                            + "          ratio p50 %.2fx  p99 %.2fx; still served after 5 s: %d%n", rate[0],
                            ours.count(), ours.micros(), base.count(), base.micros(),
                            (double) ours.p50() / base.p50(), (double) ours.p99() / base.p99(), missed));
                }
                report.append(String.format("%nCPU, %d s of outside SETs per line, 3 idle instances:%n", CPU_SECONDS));
                for (int rate : new int[] { 100, 3000 }) {
                    report.append(cpu(redis, writer.sync(), value, rate, "tracking on "));
                }
            }
            finally {
                instances.forEach(ConfigurableApplicationContext::close);
            }
            List<ConfigurableApplicationContext> untracked = start(redis, false);
            try {
                for (int rate : new int[] { 100, 3000 }) {
                    report.append(cpu(redis, writer.sync(), writer.sync().get(bytes("x:" + CACHE + ":warm-0")), rate,
                            "tracking off"));
                }
            }
            finally {
                untracked.forEach(ConfigurableApplicationContext::close);
            }
            report.append(String.format("Load average at end %s%n", Samples.loadAverage()));
            raw.close();
            client.shutdown();
        }
        System.out.println(report);
        InvalidationLagLoadDriver.writeReport("TrackingLagLoadDriver.txt", report);
        assertThat(stillServed).as("keys still served from an L1 5 s after an outside write").isZero();
    }

    private static List<ConfigurableApplicationContext> start(RedisServer redis, boolean tracking) {
        List<ConfigurableApplicationContext> instances = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(CachingConfiguration.class)
                    .web(WebApplicationType.NONE).bannerMode(Banner.Mode.OFF)
                    .properties("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                            "multi-tier-cache.key-prefix=x", "multi-tier-cache.caches." + CACHE + ".l1.ttl=1h",
                            "multi-tier-cache.caches." + CACHE + ".l1.maximum-size=100000",
                            "multi-tier-cache.caches." + CACHE + ".l2.ttl=1h",
                            "multi-tier-cache.invalidation.tracking.enabled=" + tracking,
                            "logging.level.io.github.multitiercache=WARN")
                    .run();
            instances.add(context);
            await().atMost(Duration.ofSeconds(10)).until(() -> context.getBean(InvalidationBus.class).isHealthy()
                    && context.getBeanProvider(KeyTracking.class).stream().allMatch(KeyTracking::isHealthy));
        }
        return instances;
    }

    private static MultiTierCache cache(ConfigurableApplicationContext context) {
        return context.getBean(MultiTierCacheManager.class).getCache(CACHE);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes of an entry the cache can read, written once by the cache itself. */
    private static byte[] entryBytes(ConfigurableApplicationContext context, RedisCommands<byte[], byte[]> redis) {
        cache(context).put("warm-0", "value");
        return redis.get(bytes("x:" + CACHE + ":warm-0"));
    }

    private static boolean inL1(ConfigurableApplicationContext context, MultiTierCache cache, String key) {
        L1Entry entry = cache.getNativeCache().insight().l1().get(key);
        return entry != null && entry.epoch() == context.getBean(L1Guard.class).epoch();
    }

    /** One round of outside writes at a fixed rate; @return the keys still in an L1 after the drain time. */
    private static long lagRound(List<ConfigurableApplicationContext> instances, RedisCommands<byte[], byte[]> redis,
            byte[] value, String round, int rate, int writes, Samples lag) throws InterruptedException {
        String[] keys = new String[writes];
        for (int i = 0; i < writes; i++) {
            keys[i] = round + "-" + i;
            redis.set(bytes("x:" + CACHE + ":" + keys[i]), value);
        }
        List<MultiTierCache> caches = instances.stream().map(TrackingLagLoadDriver::cache).toList();
        // Let the pushes of those writes pass, then fill every L1 from Redis.
        Thread.sleep(200);
        for (int n = 0; n < instances.size(); n++) {
            for (String key : keys) {
                caches.get(n).get(key);
            }
            for (String key : keys) {
                assertThat(inL1(instances.get(n), caches.get(n), key)).as("filled %s", key).isTrue();
            }
        }
        long[] sentAt = new long[writes];
        long[] goneAt = new long[writes];
        java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
        Thread watcher = new Thread(() -> {
            int next = 0;
            List<Integer> pending = new ArrayList<>();
            long deadline = 0;
            while (true) {
                int available = written.get();
                while (next < available) {
                    pending.add(next++);
                }
                pending.removeIf(i -> {
                    for (int n = 0; n < instances.size(); n++) {
                        if (inL1(instances.get(n), caches.get(n), keys[i])) {
                            return false;
                        }
                    }
                    goneAt[i] = System.nanoTime();
                    return true;
                });
                if (next == writes) {
                    if (pending.isEmpty()) {
                        return;
                    }
                    long now = System.nanoTime();
                    if (deadline == 0) {
                        deadline = now + DRAIN_NANOS;
                    }
                    else if (now > deadline) {
                        return;
                    }
                }
                Thread.yield();
            }
        }, "lag-watcher");
        watcher.start();
        long period = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        for (int i = 0; i < writes; i++) {
            long due = start + i * period;
            long left;
            while ((left = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
            }
            sentAt[i] = System.nanoTime();
            redis.set(bytes("x:" + CACHE + ":" + keys[i]), value);
            written.set(i + 1);
        }
        watcher.join();
        long missed = 0;
        for (int i = 0; i < writes; i++) {
            if (goneAt[i] == 0) {
                missed++;
            }
            else {
                lag.add(goneAt[i] - sentAt[i]);
            }
        }
        return missed;
    }

    private static String cpu(RedisServer redis, RedisCommands<byte[], byte[]> writer, byte[] value, int rate,
            String label) {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory
                .getOperatingSystemMXBean();
        double redisBefore = redisCpuSeconds(redis);
        long jvmBefore = os.getProcessCpuTime();
        long start = System.nanoTime();
        long period = TimeUnit.SECONDS.toNanos(1) / rate;
        int writes = rate * CPU_SECONDS;
        for (int i = 0; i < writes; i++) {
            long due = start + i * period;
            long left;
            while ((left = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
            }
            writer.set(bytes("x:" + CACHE + ":cpu-" + (i % 1000)), value);
        }
        double wall = (System.nanoTime() - start) / 1e9;
        double redisCpu = (redisCpuSeconds(redis) - redisBefore) / wall * 100;
        double jvmCpu = (os.getProcessCpuTime() - jvmBefore) / 1e9 / wall * 100;
        return String.format("  %s %5d/s: Redis %5.1f%% of a core, this JVM %5.1f%% of a core%n", label, rate,
                redisCpu, jvmCpu);
    }

    private static double redisCpuSeconds(RedisServer redis) {
        double total = 0;
        for (String line : redis.info("cpu").lines().toList()) {
            if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                total += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return total;
    }

    /** The floor: one PUBLISH per write, received by three pub/sub connections. */
    private static final class RawPubSub {

        private static final byte[] CHANNEL = bytes("raw:tracking-floor");

        private final StatefulRedisConnection<byte[], byte[]> publisher;
        private final List<StatefulRedisPubSubConnection<byte[], byte[]>> subscribers = new ArrayList<>();
        private volatile AtomicIntegerArray counts = new AtomicIntegerArray(0);
        private volatile AtomicLongArray arrivals = new AtomicLongArray(0);

        RawPubSub(RedisClient client) {
            this.publisher = client.connect(ByteArrayCodec.INSTANCE);
            for (int i = 0; i < 3; i++) {
                StatefulRedisPubSubConnection<byte[], byte[]> subscriber = client.connectPubSub(ByteArrayCodec.INSTANCE);
                subscriber.addListener(new RedisPubSubAdapter<byte[], byte[]>() {
                    @Override
                    public void message(byte[] channel, byte[] message) {
                        int index = Integer.parseInt(new String(message, StandardCharsets.UTF_8));
                        if (index < counts.length() && counts.incrementAndGet(index) == 3) {
                            arrivals.set(index, System.nanoTime());
                        }
                    }
                });
                subscriber.sync().subscribe(CHANNEL);
                subscribers.add(subscriber);
            }
        }

        void round(int rate, int writes, Samples lag) throws InterruptedException {
            counts = new AtomicIntegerArray(writes);
            arrivals = new AtomicLongArray(writes);
            long[] sentAt = new long[writes];
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (int i = 0; i < writes; i++) {
                long due = start + i * period;
                long left;
                while ((left = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(left);
                }
                sentAt[i] = System.nanoTime();
                publisher.sync().publish(CHANNEL, bytes(Integer.toString(i)));
            }
            long deadline = System.nanoTime() + DRAIN_NANOS;
            while (arrivals.get(writes - 1) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            for (int i = 0; i < writes; i++) {
                if (arrivals.get(i) != 0) {
                    lag.add(arrivals.get(i) - sentAt[i]);
                }
            }
        }

        void close() {
            subscribers.forEach(StatefulRedisPubSubConnection::close);
            publisher.close();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, CacheAutoConfiguration.class,
            MultiTierCacheAutoConfiguration.class })
    static class CachingConfiguration {
    }
}
