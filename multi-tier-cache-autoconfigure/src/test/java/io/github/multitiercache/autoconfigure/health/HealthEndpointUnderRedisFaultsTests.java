package io.github.multitiercache.autoconfigure.health;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/health} of a running web application with the starter, Boot's Redis
 * auto-configuration and the actuator, against a Redis of its own that the tests kill and freeze:
 * the application stays UP (200) with the trouble in the details, and no request waits on Redis
 * much longer than {@code multi-tier-cache.health.timeout}.
 */
@ExtendWith(OutputCaptureExtension.class)
class HealthEndpointUnderRedisFaultsTests {

    private static final Duration HEALTH_TIMEOUT = Duration.ofMillis(500);

    /** Scheduling noise and the HTTP round trip on a busy two-core machine. */
    private static final Duration MARGIN = Duration.ofMillis(1000);

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static RedisServer redis;

    private ConfigurableApplicationContext application;

    private String healthUrl;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void startApplication() {
        application = new SpringApplicationBuilder(Service.class).web(WebApplicationType.SERVLET).properties(
                "server.port=0", "server.address=127.0.0.1",
                "spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                "management.endpoints.web.exposure.include=health",
                "management.endpoint.health.show-details=always",
                "multi-tier-cache.health.timeout=" + HEALTH_TIMEOUT.toMillis() + "ms",
                "spring.main.banner-mode=off").run();
        healthUrl = "http://127.0.0.1:" + application.getEnvironment().getProperty("local.server.port")
                + "/actuator/health";
    }

    @AfterEach
    void stopApplication() {
        redis.resume();
        if (!redis.isRunning()) {
            redis.restart();
        }
        if (application != null) {
            application.close();
        }
    }

    @Test
    void redisContributorIsOursAndShowsTheVersionWhileRedisAnswers() throws Exception {
        DocumentContext json = json(health());
        assertThat(json.read("$.status", String.class)).isEqualTo("UP");
        assertThat(json.read("$.components.redis.status", String.class)).isEqualTo("UP");
        assertThat(json.read("$.components.redis.details.version", String.class)).isNotBlank();
        assertThat(json.read("$.components.redis.details.reachable", Boolean.class)).isTrue();
        assertThat(json.read("$.components.multiTierCache.details.redis.reachable", Boolean.class)).isTrue();
    }

    @Test
    void killedRedisLeavesTheApplicationUpWithDegradedDetailsAndOneLogLine(CapturedOutput output) throws Exception {
        assertThat(health().statusCode()).isEqualTo(200);
        redis.kill();
        // The contributors of one request share one answer, which may be up to one timeout old.
        Thread.sleep(HEALTH_TIMEOUT.toMillis());

        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = health();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            System.out.println("Redis killed: /actuator/health " + response.statusCode() + " in " + elapsed.toMillis()
                    + " ms");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(elapsed).as("one health request while Redis is down").isLessThan(HEALTH_TIMEOUT.plus(MARGIN));
            DocumentContext json = json(response);
            assertThat(json.read("$.status", String.class)).isEqualTo("UP");
            assertThat(json.read("$.components.redis.status", String.class)).isEqualTo("UP");
            assertThat(json.read("$.components.redis.details.degraded", Boolean.class)).isTrue();
            assertThat(json.read("$.components.redis.details.reachable", Boolean.class)).isFalse();
            assertThat(json.read("$.components.redis.details.error", String.class)).isNotBlank();
            assertThat(json.read("$.components.multiTierCache.status", String.class)).isEqualTo("UP");
            assertThat(json.read("$.components.multiTierCache.details.degraded", Boolean.class)).isTrue();
        }
        assertThat(output.getAll().lines().filter(line -> line.contains("Redis does not answer the health check")))
                .as("one line for the outage, not one per request").hasSize(1);
        assertThat(output.getAll()).as("no stack trace per health request")
                .doesNotContain("Redis health check failed").doesNotContain("\tat io.lettuce");

        redis.restart();
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            DocumentContext json = json(health());
            assertThat(json.read("$.components.redis.details.reachable", Boolean.class)).isTrue();
        });
        assertThat(output.getAll()).contains("Redis answers the health check again");
    }

    @Test
    void frozenRedisHoldsNoHealthRequestLongerThanTheTimeout() throws Exception {
        assertThat(health().statusCode()).isEqualTo(200);
        redis.pause();
        Thread.sleep(HEALTH_TIMEOUT.toMillis());

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = health();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            System.out.println("Redis frozen: /actuator/health " + response.statusCode() + " in " + elapsed.toMillis()
                    + " ms");
            assertThat(elapsed).as("one health request while Redis hangs").isLessThan(HEALTH_TIMEOUT.plus(MARGIN));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            DocumentContext json = json(response);
            assertThat(json.read("$.status", String.class)).isEqualTo("UP");
            assertThat(json.read("$.components.redis.details.degraded", Boolean.class)).isTrue();
            assertThat(json.read("$.components.redis.details.error", String.class)).contains("no answer within 500ms");
            assertThat(json.read("$.components.multiTierCache.details.degraded", Boolean.class)).isTrue();
        }

        redis.resume();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            DocumentContext json = json(health());
            assertThat(json.read("$.components.redis.details.reachable", Boolean.class)).isTrue();
        });
    }

    private HttpResponse<String> health() throws IOException, InterruptedException {
        // Bounded so that a hung request fails the test instead of holding it for Lettuce's 60 s.
        return http.send(HttpRequest.newBuilder(URI.create(healthUrl)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static DocumentContext json(HttpResponse<String> response) {
        return JsonPath.parse(response.body());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableCaching
    static class Service {
    }
}
