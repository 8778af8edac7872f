package io.github.multitiercache.core;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationSettings;
import io.github.multitiercache.core.invalidation.KeyTracking;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * Builds the engine against a real Redis for tests: a started connection factory, a Redis tier
 * and a context, closed together.
 */
public final class TestRedis implements AutoCloseable {

    public final LettuceConnectionFactory connectionFactory;
    public final RedisTier tier;
    public TieredCacheContext context;
    /** The invalidation bus, once {@link #withBus(Duration, Duration)} added one. */
    public @Nullable InvalidationBus bus;
    /** The L1 guard of the bus, once {@link #withBus(Duration, Duration)} added one. */
    public @Nullable L1Guard guard;
    /** The client-side tracking, once {@link #withTracking(LettuceConnectionFactory)} added it. */
    public @Nullable KeyTracking tracking;
    private @Nullable LettuceConnectionFactory trackingFactory;

    private TestRedis(LettuceConnectionFactory connectionFactory, Duration commandTimeout, String prefix,
            InvalidationPublisher publisher) {
        this.connectionFactory = connectionFactory;
        connectionFactory.afterPropertiesSet();
        connectionFactory.start();
        this.tier = new RedisTier(connectionFactory, commandTimeout,
                new CircuitBreaker(3, Duration.ofMillis(500), System::nanoTime), ForkJoinPool.commonPool());
        this.context = new TieredCacheContext(tier, JsonValueSerializer.forPackages("io.github.multitiercache."),
                DefaultCacheKeyConverter.INSTANCE, prefix, TtlJitter.random(), publisher, L1Guard.alwaysTrusted(), Clock.systemUTC(),
                Ticker.systemTicker(), ForkJoinPool.commonPool());
    }

    public static TestRedis standalone(int port, String prefix) {
        return standalone(port, prefix, Duration.ofMillis(500), InvalidationPublisher.NONE);
    }

    public static TestRedis standalone(int port, String prefix, Duration commandTimeout, InvalidationPublisher publisher) {
        LettuceClientConfiguration client = LettuceClientConfiguration.builder()
                .commandTimeout(Duration.ofSeconds(2)).build();
        return new TestRedis(new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port), client),
                commandTimeout, prefix, publisher);
    }

    public static TestRedis cluster(List<String> nodes, String prefix) {
        return new TestRedis(new LettuceConnectionFactory(new RedisClusterConfiguration(nodes)),
                Duration.ofSeconds(1), prefix, InvalidationPublisher.NONE);
    }

    public TestRedis withSerializer(RedisSerializer<Object> serializer) {
        context = new TieredCacheContext(tier, serializer, context.keyConverter(), context.keyPrefix(), context.jitter(),
                context.publisher(), context.l1Guard(), context.clock(), context.ticker(), context.executor());
        return this;
    }

    /** Replaces the publisher and guard, as an invalidation bus does. */
    public TestRedis withInvalidation(InvalidationPublisher publisher, L1Guard guard) {
        context = context.withInvalidation(publisher, guard);
        return this;
    }

    /**
     * Adds a started invalidation bus on {@code <prefix>:invalidation}, as one application instance
     * has: degraded L1 entries live 300ms, at most 500 keys per message, no batch window (the
     * default). It is stopped by {@link #close()}.
     */
    public TestRedis withBus(Duration heartbeatInterval, Duration maxStaleness) {
        return withBus(heartbeatInterval, maxStaleness, Duration.ZERO);
    }

    /** Adds a started invalidation bus as {@link #withBus(Duration, Duration)} does, with a batch window. */
    public TestRedis withBus(Duration heartbeatInterval, Duration maxStaleness, Duration batchWindow) {
        L1Guard l1Guard = new L1Guard(300);
        InvalidationBus invalidationBus = new InvalidationBus(tier, connectionFactory, l1Guard,
                new InvalidationSettings(context.keyPrefix() + ":invalidation", heartbeatInterval, maxStaleness,
                        Duration.ofMillis(300), 500, batchWindow),
                System::nanoTime, Clock.systemUTC());
        this.guard = l1Guard;
        this.bus = invalidationBus;
        context = context.withInvalidation(invalidationBus, l1Guard);
        invalidationBus.start();
        return this;
    }

    /**
     * Adds started client-side tracking to the bus ({@link #withBus} first), over this instance's own
     * connection factory; it is stopped by {@link #close()}.
     */
    public TestRedis withTracking() {
        return startTracking(connectionFactory);
    }

    /**
     * Adds started client-side tracking whose connections go to {@code port} (a fault proxy in
     * front of the same Redis), while the cache's commands and the bus do not.
     */
    public TestRedis withTrackingThrough(int port) {
        return startTrackingOwn(new RedisStandaloneConfiguration("127.0.0.1", port));
    }

    /** Adds started client-side tracking whose connections log in as the given ACL user. */
    public TestRedis withTrackingAs(String user, String password) {
        RedisStandaloneConfiguration server = new RedisStandaloneConfiguration("127.0.0.1",
                java.util.Objects.requireNonNull(connectionFactory.getStandaloneConfiguration()).getPort());
        server.setUsername(user);
        server.setPassword(password);
        return startTrackingOwn(server);
    }

    /** Adds started client-side tracking whose Lettuce client speaks RESP2 only. */
    public TestRedis withTrackingOverResp2() {
        RedisStandaloneConfiguration server = new RedisStandaloneConfiguration("127.0.0.1",
                java.util.Objects.requireNonNull(connectionFactory.getStandaloneConfiguration()).getPort());
        return startTrackingOwn(server, LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2))
                .clientOptions(io.lettuce.core.ClientOptions.builder()
                        .protocolVersion(io.lettuce.core.protocol.ProtocolVersion.RESP2).build())
                .build());
    }

    private TestRedis startTrackingOwn(RedisStandaloneConfiguration server) {
        return startTrackingOwn(server, LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2))
                .build());
    }

    private TestRedis startTrackingOwn(RedisStandaloneConfiguration server, LettuceClientConfiguration client) {
        LettuceConnectionFactory factory = new LettuceConnectionFactory(server, client);
        factory.afterPropertiesSet();
        factory.start();
        this.trackingFactory = factory;
        return startTracking(factory);
    }

    private TestRedis startTracking(LettuceConnectionFactory factory) {
        InvalidationBus invalidationBus = java.util.Objects.requireNonNull(bus, "withBus first");
        KeyTracking keyTracking = new KeyTracking(factory, invalidationBus,
                java.util.Objects.requireNonNull(guard), context.keyPrefix(), System::nanoTime);
        this.tracking = keyTracking;
        keyTracking.start();
        return this;
    }

    /** @return whether the bus is healthy and has heard its own heartbeat */
    public boolean busReady() {
        InvalidationBus invalidationBus = bus;
        return invalidationBus != null && invalidationBus.isHealthy()
                && invalidationBus.statistics().heartbeatsReceived() > 0;
    }

    public TieredCache cache(String name, CacheSettings settings) {
        return new TieredCache(name, settings, context);
    }

    @Override
    public void close() {
        if (tracking != null) {
            tracking.destroy();
        }
        if (trackingFactory != null) {
            trackingFactory.destroy();
        }
        if (bus != null) {
            bus.destroy();
        }
        tier.close();
        connectionFactory.destroy();
    }
}
