package io.github.multitiercache.autoconfigure.health;

import java.time.Duration;
import java.util.Map;

import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.autoconfigure.MultiTierCacheProperties;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.health.DataRedisHealthContributorAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.health.DataRedisReactiveHealthContributorAutoConfiguration;
import org.springframework.boot.data.redis.health.DataRedisHealthIndicator;
import org.springframework.boot.data.redis.health.DataRedisReactiveHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code multiTierCache} health contributor against a Redis of its own that is stopped and
 * restarted: UP with Redis, UP and degraded without it (or the configured status), UP again after
 * the restart.
 */
class MultiTierCacheHealthIndicatorTests {

    private static final Duration RECOVERY = Duration.ofSeconds(20);

    private static RedisServer redis;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
                    MultiTierCacheAutoConfiguration.class, CacheAutoConfiguration.class,
                    MultiTierCacheHealthContributorAutoConfiguration.class))
            .withPropertyValues("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                    "multi-tier-cache.redis.command-timeout=100ms", "multi-tier-cache.redis.failure-threshold=2",
                    "multi-tier-cache.redis.open-duration=200ms",
                    "multi-tier-cache.invalidation.heartbeat-interval=100ms",
                    "multi-tier-cache.invalidation.max-staleness=500ms",
                    "multi-tier-cache.invalidation.degraded-l1-ttl=100ms")
            .withUserConfiguration(CachingConfiguration.class);

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void upWithRedisDegradedButUpWithoutItAndUpAgainAfterRestart() {
        contextRunner.run(context -> {
            HealthIndicator indicator = context.getBean("multiTierCacheHealthIndicator", HealthIndicator.class);
            await().atMost(RECOVERY).untilAsserted(() -> assertHealthy(indicator.health()));

            redis.stop();
            try {
                await().atMost(RECOVERY).untilAsserted(() -> {
                    Health health = indicator.health();
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails()).containsEntry("degraded", true);
                    assertThat(redisDetails(health)).containsEntry("reachable", false).containsKey("error");
                    assertThat(health.getDetails()).containsEntry("circuitBreaker", "OPEN");
                    assertThat(invalidationDetails(health)).containsEntry("live", false);
                });
            }
            finally {
                redis.restart();
            }

            await().atMost(RECOVERY).untilAsserted(() -> assertHealthy(indicator.health()));
        });
    }

    @Test
    void reportsTheConfiguredStatusWhileRedisIsDown() {
        contextRunner.withPropertyValues("multi-tier-cache.health.redis-down-status=down").run(context -> {
            HealthIndicator indicator = context.getBean("multiTierCacheHealthIndicator", HealthIndicator.class);
            await().atMost(RECOVERY).untilAsserted(() -> assertHealthy(indicator.health()));

            redis.stop();
            try {
                await().atMost(RECOVERY).untilAsserted(() -> {
                    Health health = indicator.health();
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(health.getDetails()).containsEntry("degraded", true);
                });
            }
            finally {
                redis.restart();
            }
            await().atMost(RECOVERY).untilAsserted(() -> assertHealthy(indicator.health()));
        });
    }

    @Test
    void backsOffWhenDisabled() {
        contextRunner.withPropertyValues("management.health.multitiercache.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("multiTierCacheHealthIndicator"));
    }

    @Test
    void takesOverBootsRedisContributorImperativeAndReactive() {
        contextRunner.withConfiguration(AutoConfigurations.of(DataRedisReactiveAutoConfiguration.class,
                DataRedisHealthContributorAutoConfiguration.class,
                DataRedisReactiveHealthContributorAutoConfiguration.class)).run(context -> {
                    assertThat(context).hasSingleBean(RedisHealthIndicator.class)
                            .getBean("redisHealthContributor").isInstanceOf(RedisHealthIndicator.class);
                    assertThat(context).doesNotHaveBean(DataRedisHealthIndicator.class)
                            .doesNotHaveBean(DataRedisReactiveHealthIndicator.class);
                });
    }

    @Test
    void keepsTheApplicationsOwnRedisContributor() {
        contextRunner.withConfiguration(AutoConfigurations.of(DataRedisHealthContributorAutoConfiguration.class))
                .withBean("redisHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
                .run(context -> assertThat(context).doesNotHaveBean(RedisHealthIndicator.class)
                        .doesNotHaveBean("redisHealthContributor").hasBean("redisHealthIndicator"));
    }

    @Test
    void leavesTheRedisContributorOffWhenSwitchedOff() {
        contextRunner.withConfiguration(AutoConfigurations.of(DataRedisHealthContributorAutoConfiguration.class))
                .withPropertyValues("management.health.redis.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("redisHealthContributor")
                        .hasBean("multiTierCacheHealthIndicator"));
    }

    @Test
    void redisContributorReportsTheConfiguredStatusWhileRedisIsDown() {
        contextRunner.withConfiguration(AutoConfigurations.of(DataRedisHealthContributorAutoConfiguration.class))
                .withPropertyValues("multi-tier-cache.health.redis-down-status=out_of_service").run(context -> {
                    HealthIndicator indicator = context.getBean("redisHealthContributor", HealthIndicator.class);
                    await().atMost(RECOVERY).untilAsserted(() -> {
                        Health health = indicator.health();
                        assertThat(health.getStatus()).isEqualTo(Status.UP);
                        assertThat(health.getDetails()).containsEntry("reachable", true).containsKey("version");
                    });
                    redis.stop();
                    try {
                        await().atMost(RECOVERY).untilAsserted(() -> {
                            Health health = indicator.health();
                            assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
                            assertThat(health.getDetails()).containsEntry("degraded", true)
                                    .containsEntry("reachable", false).containsKey("error");
                        });
                    }
                    finally {
                        redis.restart();
                    }
                });
    }

    @Test
    void aRedisThatRefusesInfoStillAnswers() {
        redis.command("ACL", "SETUSER", "no-info", "on", ">secret", "~*", "&*", "+@all", "-info");
        try {
            contextRunner.withConfiguration(AutoConfigurations.of(DataRedisHealthContributorAutoConfiguration.class))
                    .withPropertyValues("spring.data.redis.username=no-info", "spring.data.redis.password=secret")
                    .run(context -> {
                        HealthIndicator indicator = context.getBean("redisHealthContributor", HealthIndicator.class);
                        await().atMost(RECOVERY).untilAsserted(() -> {
                            Health health = indicator.health();
                            assertThat(health.getStatus()).isEqualTo(Status.UP);
                            assertThat(health.getDetails()).containsEntry("reachable", true)
                                    .containsEntry("degraded", false);
                            assertThat((String) health.getDetails().get("info")).contains("NOPERM");
                        });
                    });
        }
        finally {
            redis.command("ACL", "DELUSER", "no-info");
        }
    }

    @Test
    void healthSettingsAreBoundOnceWithTheOtherProperties() {
        contextRunner.withPropertyValues("multi-tier-cache.health.timeout=750ms").run(context -> {
            assertThat(context).hasSingleBean(MultiTierCacheProperties.class);
            assertThat(context.getBean(MultiTierCacheProperties.class).getHealth().getTimeout())
                    .isEqualTo(Duration.ofMillis(750));
            assertThat(context.getBean(RedisHealthChecks.class).timeout()).isEqualTo(Duration.ofMillis(750));
        });
    }

    @Test
    void refusesAnUnknownStatus() {
        contextRunner.withPropertyValues("multi-tier-cache.health.redis-down-status=SORT_OF")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasRootCauseMessage("multi-tier-cache.health.redis-down-status must be one of UP, DOWN,"
                                + " OUT_OF_SERVICE, UNKNOWN but was 'SORT_OF'"));
    }

    private static void assertHealthy(Health health) {
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("degraded", false).containsEntry("circuitBreaker", "CLOSED");
        assertThat(redisDetails(health)).containsEntry("reachable", true).containsKey("latencyMillis");
        assertThat((double) redisDetails(health).get("latencyMillis")).isBetween(0.0, 500.0);
        assertThat(invalidationDetails(health)).containsEntry("enabled", true).containsEntry("live", true)
                .containsEntry("peers", 0).containsKey("lastHeartbeatRoundTripMillis");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> redisDetails(Health health) {
        return (Map<String, Object>) health.getDetails().get("redis");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> invalidationDetails(Health health) {
        return (Map<String, Object>) health.getDetails().get("invalidation");
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingConfiguration {
    }
}
