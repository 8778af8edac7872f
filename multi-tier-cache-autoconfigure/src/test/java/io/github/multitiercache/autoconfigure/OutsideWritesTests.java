package io.github.multitiercache.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.KeyTracking;
import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
 * Several application contexts on one real Redis, and writes to the caches' keys by a client that
 * is not the library: with tracking (the default) every context's L1 copy goes at once; with
 * {@code multi-tier-cache.invalidation.tracking.enabled=false} it stays, as documented.
 */
class OutsideWritesTests {

    private RedisServer redis;
    private RedisClient outsideClient;
    private RedisCommands<byte[], byte[]> outside;
    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        outsideClient = RedisClient.create(redis.uri());
        outside = outsideClient.connect(ByteArrayCodec.INSTANCE).sync();
    }

    @AfterEach
    void stop() {
        contexts.forEach(ConfigurableApplicationContext::close);
        outsideClient.shutdown();
        redis.close();
    }

    private ConfigurableApplicationContext instance(String... more) {
        List<String> properties = new ArrayList<>(List.of("spring.data.redis.host=127.0.0.1",
                "spring.data.redis.port=" + redis.port(), "multi-tier-cache.key-prefix=x",
                "multi-tier-cache.invalidation.heartbeat-interval=100ms",
                "multi-tier-cache.invalidation.max-staleness=600ms", "multi-tier-cache.invalidation.degraded-l1-ttl=300ms",
                "multi-tier-cache.caches.versions.l1.ttl=1h", "multi-tier-cache.caches.versions.l2.ttl=1h"));
        properties.addAll(List.of(more));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(CachingConfiguration.class)
                .web(WebApplicationType.NONE).properties(properties.toArray(new String[0])).run();
        contexts.add(context);
        await().atMost(Duration.ofSeconds(5)).until(() -> context.getBean(InvalidationBus.class).isHealthy()
                && context.getBeanProvider(KeyTracking.class).stream().allMatch(t -> t.heartbeatsReceived() > 0));
        return context;
    }

    private static MultiTierCache versions(ConfigurableApplicationContext context) {
        return context.getBean(MultiTierCacheManager.class).getCache("versions");
    }

    private static boolean inL1(ConfigurableApplicationContext context, Object key) {
        L1Entry entry = versions(context).getNativeCache().insight().l1().get(key);
        return entry != null && entry.epoch() == context.getBean(L1Guard.class).epoch();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void fill(List<ConfigurableApplicationContext> instances) {
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            for (ConfigurableApplicationContext context : instances) {
                versions(context).get("k");
                assertThat(inL1(context, "k")).isTrue();
            }
        });
    }

    @Test
    void anOutsideSetOrDelDropsTheL1CopyOfEveryInstanceAtOnce() {
        List<ConfigurableApplicationContext> instances = List.of(instance(), instance(), instance());
        versions(instances.get(0)).put("k", 1L);
        versions(instances.get(0)).put("other", 2L);
        fill(instances);

        outside.set(bytes("x:versions:k"), outside.get(bytes("x:versions:other")));
        await().atMost(Duration.ofMillis(500)).until(() -> instances.stream().noneMatch(c -> inL1(c, "k")));
        for (ConfigurableApplicationContext context : instances) {
            assertThat(versions(context).get("k").get()).isEqualTo(2L);
        }

        fill(instances);
        outside.del(bytes("x:versions:k"));
        await().atMost(Duration.ofMillis(500)).until(() -> instances.stream().noneMatch(c -> inL1(c, "k")));
        assertThat(versions(instances.get(1)).get("k")).isNull();
    }

    @Test
    void aFlushOfRedisDropsEveryL1() {
        List<ConfigurableApplicationContext> instances = List.of(instance(), instance());
        versions(instances.get(0)).put("k", 1L);
        fill(instances);
        redis.flushAll();
        await().atMost(Duration.ofMillis(500)).until(() -> instances.stream().noneMatch(c -> inL1(c, "k")));
        assertThat(versions(instances.get(1)).get("k")).isNull();
    }

    @Test
    void aWriteOfThisInstanceLeavesItsOwnL1OnceWhenItsPushArrivesAndTheNextReadRefillsIt() {
        ConfigurableApplicationContext context = instance();
        KeyTracking tracking = context.getBean(KeyTracking.class);
        long before = tracking.keysInvalidated();
        versions(context).put("k", 1L);
        // The push of the instance's own SET drops the copy the put left in L1 ...
        await().atMost(Duration.ofMillis(500)).until(() -> tracking.keysInvalidated() > before && !inL1(context, "k"));
        // ... and the next read fills it from Redis, which writes nothing and so causes no push.
        assertThat(versions(context).get("k").get()).isEqualTo(1L);
        long after = tracking.keysInvalidated();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> inL1(context, "k"));
        assertThat(tracking.keysInvalidated()).isEqualTo(after);
    }

    @Test
    void withTrackingOffAnOutsideWriteLeavesTheL1CopyUntilItsTtl() throws InterruptedException {
        ConfigurableApplicationContext context = instance("multi-tier-cache.invalidation.tracking.enabled=false");
        assertThat(context.getBeanProvider(KeyTracking.class).getIfAvailable()).isNull();
        versions(context).put("k", 1L);
        versions(context).put("other", 2L);
        fill(List.of(context));
        outside.set(bytes("x:versions:k"), outside.get(bytes("x:versions:other")));
        Thread.sleep(300);
        assertThat(inL1(context, "k")).isTrue();
        assertThat(versions(context).get("k").get()).isEqualTo(1L);
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, CacheAutoConfiguration.class,
            MultiTierCacheAutoConfiguration.class })
    static class CachingConfiguration {
    }
}
