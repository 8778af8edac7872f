package io.github.multitiercache.sample.redis;

import java.time.Duration;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Before the application context starts, checks that a Redis answers at
 * {@code spring.data.redis.host}:{@code spring.data.redis.port}; if none does, starts an
 * {@link EmbeddedRedisServer} and points {@code spring.data.redis.host} and {@code .port} at it
 * through the property source {@value #PROPERTY_SOURCE_NAME}, ahead of every other source
 * (including environment variables). The server is stopped when the context closes, when the
 * startup fails, and at the latest when the JVM exits.
 *
 * <p>Options, under {@code sample.embedded-redis}:
 * <ul>
 *   <li>{@code enabled} (default {@code true}): {@code false} switches this off entirely, with no
 *       probe either;</li>
 *   <li>{@code probe-timeout} (default {@code 500ms}): the bound of the connect and of the
 *       {@code PING} reply;</li>
 *   <li>{@code start-timeout} (default {@code 10s}): how long the started server may take to answer.</li>
 * </ul>
 * A configured {@code spring.data.redis.url}, Sentinel or Cluster, or SSL is left alone. If the
 * server cannot be started, the application still starts, with the configured address: the caches
 * then serve from L1 and the loaders until Redis answers.
 */
public class EmbeddedRedisEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    /** The name of the property source that points {@code spring.data.redis.*} at the started server. */
    public static final String PROPERTY_SOURCE_NAME = "sampleEmbeddedRedis";

    private static final String PREFIX = "sample.embedded-redis.";

    private final Log log;

    /**
     * Created by Spring Boot from {@code META-INF/spring.factories}.
     * @param logFactory logs that are written once logging is initialised
     */
    public EmbeddedRedisEnvironmentPostProcessor(DeferredLogFactory logFactory) {
        this.log = logFactory.getLog(EmbeddedRedisEnvironmentPostProcessor.class);
    }

    /** Runs after the configuration files have been loaded. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        Binder binder = Binder.get(environment);
        if (!binder.bind(PREFIX + "enabled", Boolean.class).orElse(true)) {
            log.debug("sample.embedded-redis.enabled is false: no Redis is started");
            return;
        }
        String unsupported = unsupportedConfiguration(environment);
        if (unsupported != null) {
            log.info("Not probing Redis, because " + unsupported + " is configured; no Redis is started");
            return;
        }
        String host = environment.getProperty("spring.data.redis.host", "localhost");
        int port = environment.getProperty("spring.data.redis.port", Integer.class, 6379);
        Duration probeTimeout = binder.bind(PREFIX + "probe-timeout", Duration.class)
                .orElse(Duration.ofMillis(500));
        RedisProbe.Result probe = RedisProbe.probe(host, port, probeTimeout);
        if (probe.answered()) {
            log.info("Using the Redis at " + host + ":" + port + " (it answered PING with " + probe.detail() + ")");
            return;
        }
        Duration startTimeout = binder.bind(PREFIX + "start-timeout", Duration.class).orElse(Duration.ofSeconds(10));
        EmbeddedRedisServer server;
        try {
            server = EmbeddedRedisServer.start(startTimeout);
        }
        catch (RuntimeException ex) {
            log.warn("No Redis answers at " + host + ":" + port + " (" + probe.detail() + "), and none could be"
                    + " started: " + ex.getMessage() + ". Continuing without Redis: the caches serve from L1 and"
                    + " the repository until a Redis answers there.");
            return;
        }
        environment.getPropertySources().addFirst(new MapPropertySource(PROPERTY_SOURCE_NAME,
                Map.of("spring.data.redis.host", server.host(), "spring.data.redis.port", server.port())));
        EmbeddedRedisLifecycle lifecycle = new EmbeddedRedisLifecycle(server, log);
        application.addListeners(lifecycle);
        SpringApplication.getShutdownHandlers().add(lifecycle::stop);
        log.warn("No Redis answers at " + host + ":" + port + " (" + probe.detail() + "). Started " + server
                + " for this run, with nothing persisted, and pointed spring.data.redis.host/port at it. To use"
                + " your own Redis, set SPRING_DATA_REDIS_HOST and SPRING_DATA_REDIS_PORT; to switch this off,"
                + " set sample.embedded-redis.enabled=false.");
    }

    private static @Nullable String unsupportedConfiguration(ConfigurableEnvironment environment) {
        if (environment.containsProperty("spring.data.redis.url")) {
            return "spring.data.redis.url";
        }
        if (environment.containsProperty("spring.data.redis.sentinel.master")) {
            return "Redis Sentinel (spring.data.redis.sentinel.*)";
        }
        if (environment.containsProperty("spring.data.redis.cluster.nodes")) {
            return "Redis Cluster (spring.data.redis.cluster.nodes)";
        }
        if (environment.getProperty("spring.data.redis.ssl.enabled", Boolean.class, false)) {
            return "SSL (spring.data.redis.ssl.enabled)";
        }
        return null;
    }
}
