package io.github.multitiercache.sample.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;

import io.github.multitiercache.sample.ProductRepository;
import io.github.multitiercache.sample.SampleApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole application, started as {@code main} starts it, with {@code spring.data.redis.port}
 * pointing at a port where nothing listens.
 */
class EmbeddedRedisFallbackTests {

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

    @Test
    void startsARedisWhenNoneAnswersAndStopsItWithTheContext() throws IOException {
        int deadPort = unusedPort();
        assertThat(RedisProbe.probe("127.0.0.1", deadPort, PROBE_TIMEOUT).answered()).isFalse();
        int embeddedPort;

        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
                .run("--server.port=0", "--spring.data.redis.host=127.0.0.1", "--spring.data.redis.port=" + deadPort,
                        "--sample.repository.delay=50ms")) {
            ConfigurableEnvironment environment = context.getEnvironment();
            embeddedPort = environment.getRequiredProperty("spring.data.redis.port", Integer.class);

            assertThat(environment.getPropertySources().contains(
                    EmbeddedRedisEnvironmentPostProcessor.PROPERTY_SOURCE_NAME)).isTrue();
            assertThat(embeddedPort).isNotEqualTo(deadPort).isNotEqualTo(6379);
            assertThat(environment.getProperty("spring.data.redis.host")).isEqualTo("127.0.0.1");
            assertThat(context.getBean(LettuceConnectionFactory.class).getPort()).isEqualTo(embeddedPort);
            assertThat(RedisProbe.probe("127.0.0.1", embeddedPort, PROBE_TIMEOUT).answered()).isTrue();

            RestClient http = RestClient.create("http://127.0.0.1:"
                    + environment.getRequiredProperty("local.server.port"));
            ProductRepository repository = context.getBean(ProductRepository.class);
            long loadsBefore = repository.loaderCalls().findById();
            ResponseEntity<String> first = http.get().uri("/products/1").retrieve().toEntity(String.class);
            ResponseEntity<String> second = http.get().uri("/products/1").retrieve().toEntity(String.class);

            assertThat(first.getStatusCode()).isEqualTo(HttpStatus.OK);
            assertThat(second.getStatusCode()).isEqualTo(HttpStatus.OK);
            assertThat(first.getBody()).contains("Espresso machine");
            assertThat(repository.loaderCalls().findById() - loadsBefore).isEqualTo(1);
            assertThat(context.getBean(StringRedisTemplate.class).hasKey("sample:products:1")).isTrue();
        }

        assertThat(RedisProbe.probe("127.0.0.1", embeddedPort, PROBE_TIMEOUT).answered()).isFalse();
    }

    private static int unusedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
