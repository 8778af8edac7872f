package io.github.multitiercache.sample.redis;

import io.github.multitiercache.testsupport.RedisServer;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedRedisEnvironmentPostProcessorTests {

    private final DeferredLogFactory logs = supplier -> LogFactory.getLog(EmbeddedRedisEnvironmentPostProcessorTests.class);

    private final EmbeddedRedisEnvironmentPostProcessor postProcessor = new EmbeddedRedisEnvironmentPostProcessor(logs);

    private final SpringApplication application = new SpringApplication();

    @Test
    void leavesAnAnsweringRedisAlone() {
        try (RedisServer redis = RedisServer.start()) {
            MockEnvironment environment = new MockEnvironment()
                    .withProperty("spring.data.redis.host", redis.host())
                    .withProperty("spring.data.redis.port", Integer.toString(redis.port()));

            postProcessor.postProcessEnvironment(environment, application);

            assertThat(environment.getPropertySources().contains(
                    EmbeddedRedisEnvironmentPostProcessor.PROPERTY_SOURCE_NAME)).isFalse();
            assertThat(environment.getProperty("spring.data.redis.port")).isEqualTo(Integer.toString(redis.port()));
            assertThat(application.getListeners()).noneMatch(EmbeddedRedisLifecycle.class::isInstance);
        }
    }

    @Test
    void doesNothingWhenDisabled() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("sample.embedded-redis.enabled", "false")
                .withProperty("spring.data.redis.port", "1");

        postProcessor.postProcessEnvironment(environment, application);

        assertThat(environment.getPropertySources().contains(
                EmbeddedRedisEnvironmentPostProcessor.PROPERTY_SOURCE_NAME)).isFalse();
        assertThat(environment.getProperty("spring.data.redis.port")).isEqualTo("1");
    }

    @Test
    void leavesAConfiguredRedisUrlAlone() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("spring.data.redis.url", "redis://127.0.0.1:1")
                .withProperty("spring.data.redis.port", "1");

        postProcessor.postProcessEnvironment(environment, application);

        assertThat(environment.getPropertySources().contains(
                EmbeddedRedisEnvironmentPostProcessor.PROPERTY_SOURCE_NAME)).isFalse();
    }
}
