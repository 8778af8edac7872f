package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.FaultProxy;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.Cache;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several application contexts on one real Redis: every write on one instance reaches the others'
 * L1, and under faults (killed subscriber connections, a half-open link, a paused or restarted
 * Redis) no instance serves a value older than the stated bound once the write has returned.
 */
class CrossInstanceInvalidationTests {

    /** The configured bound, and a tolerance for thread scheduling on a loaded 2-core machine. */
    private static final Duration MAX_STALENESS = Duration.ofMillis(600);
    private static final long BOUND_NANOS = MAX_STALENESS.plusMillis(250).toNanos();

    private RedisServer redis;
    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private final List<FaultProxy> proxies = new ArrayList<>();

    @BeforeEach
    void startRedis() {
        redis = RedisServer.start();
    }

    @AfterEach
    void stopAll() {
        contexts.forEach(ConfigurableApplicationContext::close);
        proxies.forEach(FaultProxy::close);
        redis.close();
    }

    private ConfigurableApplicationContext instance(int port) {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(CachingConfiguration.class)
                .web(WebApplicationType.NONE)
                .properties("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + port,
                        "spring.data.redis.timeout=1s",
                        "multi-tier-cache.key-prefix=x",
                        "multi-tier-cache.redis.command-timeout=200ms",
                        "multi-tier-cache.redis.open-duration=300ms",
                        "multi-tier-cache.invalidation.heartbeat-interval=100ms",
                        "multi-tier-cache.invalidation.max-staleness=" + MAX_STALENESS.toMillis() + "ms",
                        "multi-tier-cache.invalidation.degraded-l1-ttl=300ms",
                        "multi-tier-cache.caches.versions.l1.ttl=1h",
                        "multi-tier-cache.caches.versions.l2.ttl=1h")
                .run();
        contexts.add(context);
        await().atMost(Duration.ofSeconds(5)).until(() -> bus(context).isHealthy()
                && bus(context).statistics().heartbeatsReceived() > 0);
        return context;
    }

    private ConfigurableApplicationContext instanceBehindProxy() {
        FaultProxy proxy = FaultProxy.start(redis.host(), redis.port());
        proxies.add(proxy);
        return instance(proxy.port());
    }

    private static InvalidationBus bus(ConfigurableApplicationContext context) {
        return context.getBean(InvalidationBus.class);
    }

    private static MultiTierCache versions(ConfigurableApplicationContext context) {
        return context.getBean(MultiTierCacheManager.class).getCache("versions");
    }

    /** Whether the key's L1 entry on that instance would be served. */
    private static boolean inL1(ConfigurableApplicationContext context, Object key) {
        L1Entry entry = versions(context).getNativeCache().insight().l1().get(key);
        return entry != null && entry.epoch() == context.getBean(L1Guard.class).epoch();
    }

    @Test
    void putEvictAndClearOnOneInstanceReachEveryOtherInstanceAndNotItself() {
        ConfigurableApplicationContext a = instance(redis.port());
        ConfigurableApplicationContext b = instance(redis.port());
        ConfigurableApplicationContext c = instance(redis.port());
        versions(a).put("k", 1L);
        await().atMost(Duration.ofSeconds(1)).until(() -> bus(b).statistics().keysReceived() == 1
                && bus(c).statistics().keysReceived() == 1);
        assertThat(versions(b).get("k").get()).isEqualTo(1L);
        assertThat(versions(c).get("k").get()).isEqualTo(1L);
        assertThat(inL1(b, "k")).isTrue();

        versions(a).put("k", 2L);
        await().atMost(Duration.ofMillis(500)).until(() -> !inL1(b, "k") && !inL1(c, "k"));
        assertThat(versions(b).get("k").get()).isEqualTo(2L);
        assertThat(versions(c).get("k").get()).isEqualTo(2L);

        versions(a).evict("k");
        await().atMost(Duration.ofMillis(500)).until(() -> !inL1(b, "k") && !inL1(c, "k"));
        assertThat(versions(b).get("k")).isNull();

        versions(b).put("k", 3L);
        versions(c).get("k");
        versions(a).clear();
        await().atMost(Duration.ofMillis(500)).until(() -> !inL1(b, "k") && !inL1(c, "k"));
        assertThat(versions(c).get("k")).isNull();

        assertThat(bus(a).statistics().keysReceived()).as("A ignores its own messages").isEqualTo(1);
        assertThat(bus(b).statistics().gaps()).isZero();
    }

    @Test
    void killedSubscriberConnectionsNeverLeaveAReaderStaleBeyondTheBound() throws Exception {
        ConfigurableApplicationContext writer = instance(redis.port());
        ConfigurableApplicationContext reader = instance(redis.port());
        Workload workload = new Workload(writer, reader, 20);
        workload.start();
        for (int i = 0; i < 4; i++) {
            Thread.sleep(700);
            assertThat(redis.clientKill("TYPE pubsub")).isPositive();
        }
        Thread.sleep(700);
        workload.stopAndAssertNoStaleRead();
        assertThat(bus(reader).statistics().gaps()).as("each resubscription is a gap").isGreaterThanOrEqualTo(1);
    }

    @Test
    void aHalfOpenChannelIsDetectedWithinTheBoundAndL1IsNotTrustedMeanwhile() throws Exception {
        ConfigurableApplicationContext writer = instance(redis.port());
        ConfigurableApplicationContext reader = instanceBehindProxy();
        FaultProxy link = proxies.get(0);
        L1Guard readerGuard = reader.getBean(L1Guard.class);
        Workload workload = new Workload(writer, reader, 20);
        workload.start();
        Thread.sleep(500);

        long blackholedAt = System.nanoTime();
        link.blackhole();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(5)).until(readerGuard::isDegraded);
        long detectedAfter = System.nanoTime() - blackholedAt;
        assertThat(Duration.ofNanos(detectedAfter)).isLessThanOrEqualTo(Duration.ofNanos(BOUND_NANOS));
        Thread.sleep(1_500);
        // The partition heals the way real ones usually do: the connections are reset.
        link.cutConnections();
        link.restore();
        await().atMost(Duration.ofSeconds(10)).until(() -> !readerGuard.isDegraded());
        Thread.sleep(500);
        workload.stopAndAssertNoStaleRead();
    }

    @Test
    void restartedRedisDropsEveryL1AndNoStaleValueIsServedAfterwards() throws Exception {
        ConfigurableApplicationContext writer = instance(redis.port());
        ConfigurableApplicationContext reader = instance(redis.port());
        versions(writer).put("k", 1L);
        await().atMost(Duration.ofSeconds(1)).until(() -> bus(reader).statistics().keysReceived() == 1);
        assertThat(versions(reader).get("k").get()).isEqualTo(1L);
        assertThat(inL1(reader, "k")).isTrue();

        redis.kill();
        redis.restart();

        // The restarted Redis is empty; the reader must not keep serving its old L1 copy.
        await().atMost(Duration.ofSeconds(15)).until(() -> !inL1(reader, "k"));
        await().atMost(Duration.ofSeconds(30)).until(() -> bus(reader).isHealthy() && bus(writer).isHealthy());
        Workload workload = new Workload(writer, reader, 20);
        workload.start();
        Thread.sleep(1_500);
        workload.stopAndAssertNoStaleRead();
    }

    @Test
    void randomFaultsWhileTwoInstancesReadAndWriteProduceNoReadOutsideTheBound() throws Exception {
        ConfigurableApplicationContext writer = instance(redis.port());
        ConfigurableApplicationContext reader = instanceBehindProxy();
        FaultProxy link = proxies.get(0);
        Workload workload = new Workload(writer, reader, 20);
        workload.start();
        Random random = new Random(42);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
        List<String> injected = new ArrayList<>();
        while (System.nanoTime() < end) {
            Thread.sleep(200 + random.nextInt(400));
            switch (random.nextInt(4)) {
                case 0 -> {
                    injected.add("kill pubsub");
                    redis.clientKill("TYPE pubsub");
                }
                case 1 -> {
                    injected.add("half-open link");
                    link.blackhole();
                    Thread.sleep(300 + random.nextInt(1200));
                    link.cutConnections();
                    link.restore();
                }
                case 2 -> {
                    injected.add("pause redis");
                    redis.pause();
                    Thread.sleep(100 + random.nextInt(500));
                    redis.resume();
                }
                default -> injected.add("no fault");
            }
        }
        Thread.sleep(1_000);
        workload.stopAndAssertNoStaleRead();
        assertThat(injected).as("faults injected").hasSizeGreaterThan(10);
    }

    /**
     * A writer instance puts increasing versions of randomly chosen keys, each key rarely; a
     * reader instance reads them all in a tight loop, so a missed invalidation would leave it
     * serving an old version for seconds. A read that started at t must return at least the newest
     * version whose put had returned, with Redis acknowledging it, before t − bound.
     */
    private static final class Workload {

        private final ConfigurableApplicationContext writer;
        private final ConfigurableApplicationContext reader;
        private final int keys;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Map<String, ConcurrentSkipListMap<Long, Long>> committed = new ConcurrentHashMap<>();
        private final List<String> violations = new CopyOnWriteArrayList<>();
        private final AtomicLong reads = new AtomicLong();
        private final AtomicLong versionsWritten = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();

        Workload(ConfigurableApplicationContext writer, ConfigurableApplicationContext reader, int keys) {
            this.writer = writer;
            this.reader = reader;
            this.keys = keys;
            for (int i = 0; i < keys; i++) {
                committed.put("key-" + i, new ConcurrentSkipListMap<>());
            }
        }

        void start() {
            threads.add(new Thread(this::write, "writer"));
            threads.add(new Thread(this::read, "reader"));
            threads.forEach(Thread::start);
        }

        private void write() {
            MultiTierCache cache = versions(writer);
            RedisTier tier = writer.getBean(RedisTier.class);
            Random random = new Random(7);
            long version = 0;
            while (running.get()) {
                String key = "key-" + random.nextInt(keys);
                version++;
                long failuresBefore = tier.stats().failures() + tier.stats().rejected();
                cache.put(key, version);
                long returnedAt = System.nanoTime();
                if (tier.stats().failures() + tier.stats().rejected() == failuresBefore) {
                    committed.get(key).put(version, returnedAt);
                }
                versionsWritten.incrementAndGet();
                sleepQuietly(20);
            }
        }

        private void read() {
            MultiTierCache cache = versions(reader);
            int i = 0;
            while (running.get()) {
                String key = "key-" + (i++ % keys);
                long startedAt = System.nanoTime();
                Cache.ValueWrapper wrapper = cache.get(key);
                reads.incrementAndGet();
                if (wrapper == null || wrapper.get() == null) {
                    continue;
                }
                long seen = (Long) wrapper.get();
                Map.Entry<Long, Long> newestDue = null;
                for (Map.Entry<Long, Long> entry : committed.get(key).entrySet()) {
                    if (entry.getValue() <= startedAt - BOUND_NANOS) {
                        newestDue = entry;
                    }
                }
                if (newestDue != null && seen < newestDue.getKey()) {
                    violations.add(key + ": read " + seen + " although " + newestDue.getKey() + " was written "
                            + (startedAt - newestDue.getValue()) / 1_000_000 + "ms earlier");
                }
                sleepQuietly(1);
            }
        }

        void stopAndAssertNoStaleRead() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(5_000);
            }
            assertThat(versionsWritten.get()).as("versions written").isGreaterThan(30);
            assertThat(reads.get()).as("reads").isGreaterThan(100);
            assertThat(violations).as("reads older than the bound").isEmpty();
        }

        private static void sleepQuietly(long millis) {
            try {
                Thread.sleep(millis);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, MultiTierCacheAutoConfiguration.class,
            CacheAutoConfiguration.class })
    static class CachingConfiguration {
    }
}
