package io.github.multitiercache.autoconfigure;

import io.github.multitiercache.testsupport.RedisServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The Redis of a test class, registered with {@code @RegisterExtension}: either the JVM's shared
 * server, emptied before each test, or a server of the class's own (for tests that stop or kill
 * it). It also opens a {@link RedisProbe} on it and gives an {@link ApplicationContextRunner} with
 * Boot's Redis and cache auto-configuration and ours, pointed at the server.
 */
final class RedisFixture implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

    private final boolean isolated;
    private @Nullable RedisServer server;
    private @Nullable RedisProbe probe;

    private RedisFixture(boolean isolated) {
        this.isolated = isolated;
    }

    /** @return the JVM's shared server, flushed before each test */
    static RedisFixture shared() {
        return new RedisFixture(false);
    }

    /** @return a server of the test class's own, started before and stopped after its tests */
    static RedisFixture isolated() {
        return new RedisFixture(true);
    }

    RedisServer server() {
        if (server == null) {
            throw new IllegalStateException("Redis is started before the test class's tests run");
        }
        return server;
    }

    RedisProbe probe() {
        if (probe == null) {
            throw new IllegalStateException("the probe connects before the test class's tests run");
        }
        return probe;
    }

    /** @return a context runner with the Redis, cache and multi-tier-cache auto-configuration */
    ApplicationContextRunner contextRunner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
                        MultiTierCacheAutoConfiguration.class, CacheAutoConfiguration.class))
                .withPropertyValues("spring.data.redis.host=" + server().host(),
                        "spring.data.redis.port=" + server().port());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = isolated ? RedisServer.start() : RedisServer.shared();
        probe = RedisProbe.connect(server);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!isolated) {
            server().flushAll();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (probe != null) {
            probe.close();
        }
        if (isolated && server != null) {
            server.close();
        }
    }
}
