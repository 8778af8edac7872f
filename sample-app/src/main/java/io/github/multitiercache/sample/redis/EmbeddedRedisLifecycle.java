package io.github.multitiercache.sample.redis;

import org.apache.commons.logging.Log;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Stops an {@link EmbeddedRedisServer} with the application that started it. Registered on the
 * {@code SpringApplication} by {@link EmbeddedRedisEnvironmentPostProcessor}:
 * <ul>
 *   <li>once the context is prepared, the server becomes its first disposable bean, so it is
 *       stopped after every other bean (the Redis clients among them) has been destroyed, when the
 *       context closes or its refresh fails;</li>
 *   <li>a startup that fails before or after the refresh stops it too;</li>
 *   <li>Spring Boot's JVM shutdown hook calls {@link #stop()} after closing the contexts.</li>
 * </ul>
 */
final class EmbeddedRedisLifecycle implements ApplicationListener<ApplicationEvent> {

    /** The name under which the server is registered for destruction. */
    static final String BEAN_NAME = "sampleEmbeddedRedis";

    private final EmbeddedRedisServer server;

    private final Log log;

    EmbeddedRedisLifecycle(EmbeddedRedisServer server, Log log) {
        this.server = server;
        this.log = log;
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof ApplicationPreparedEvent prepared) {
            stopWith(prepared.getApplicationContext());
        }
        else if (event instanceof ApplicationFailedEvent failed) {
            ConfigurableApplicationContext context = failed.getApplicationContext();
            if (context == null || !context.isActive()) {
                // No context will be closed, so nothing else stops the server.
                stop();
            }
        }
    }

    /** Stops the server, once. */
    void stop() {
        if (server.stop()) {
            log.info("Stopped " + server);
        }
    }

    private void stopWith(ConfigurableApplicationContext context) {
        if (context.getBeanFactory() instanceof DefaultSingletonBeanRegistry registry) {
            registry.registerDisposableBean(BEAN_NAME, this::stop);
        }
        else {
            context.addApplicationListener((ContextClosedEvent closed) -> {
                if (closed.getApplicationContext() == context) {
                    stop();
                }
            });
        }
    }
}
