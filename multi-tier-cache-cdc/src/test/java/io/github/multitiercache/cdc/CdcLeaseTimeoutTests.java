package io.github.multitiercache.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import io.github.multitiercache.testsupport.FaultProxy;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The lease's commands are bounded by a third of its time to live, not by the application's Redis
 * timeout (60 s here, Spring Boot's default): when Redis stops answering (a {@link FaultProxy} holding
 * every byte), the holder stops evicting once its lease may have expired and gives the lease up soon
 * after, instead of waiting a minute for its renewal to fail.
 */
class CdcLeaseTimeoutTests {

    private static final Duration LEASE_TTL = Duration.ofSeconds(3);

    @Test
    void aHolderWhoseRedisStopsAnsweringStopsEvictingWithinTheLeaseTtlAndLetsGoSoonAfter() {
        try (RedisServer redis = RedisServer.start(); FaultProxy proxy = FaultProxy.start(redis.host(), redis.port())) {
            LettuceConnectionFactory factory = new LettuceConnectionFactory(
                    new RedisStandaloneConfiguration(proxy.host(), proxy.port()),
                    LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(60)).build());
            factory.afterPropertiesSet();
            factory.start();
            CdcConsumer consumer = consumer(factory);
            try {
                consumer.start();
                await().atMost(Duration.ofSeconds(20)).until(consumer::isLeaseHolder);
                await().atMost(Duration.ofSeconds(5)).until(consumer::leaseValid);

                proxy.blackhole();
                long cut = System.nanoTime();

                await().atMost(LEASE_TTL.plusSeconds(1)).until(() -> !consumer.leaseValid());
                await().atMost(Duration.ofSeconds(10)).until(() -> !consumer.isLeaseHolder());
                Duration heldFor = Duration.ofNanos(System.nanoTime() - cut);
                // Its last renewal's validity, plus at most one renewal period and one bounded wait.
                assertThat(heldFor).isLessThan(LEASE_TTL.plus(LEASE_TTL.dividedBy(3)).plusSeconds(1));
                assertThat(consumer.status().state()).isEqualTo("STANDBY");
            } finally {
                proxy.restore();
                consumer.stop();
                factory.destroy();
            }
        }
    }

    /** A consumer with the lease over {@code factory}; its database does not answer (its engine fails and retries). */
    private static CdcConsumer consumer(LettuceConnectionFactory factory) {
        CdcProperties properties = new CdcProperties();
        properties.setLeaseTtl(LEASE_TTL);
        properties.setSlotName("lease_timeout");
        properties.getDatabase().setPort(1);
        CdcProperties.Evict evict = new CdcProperties.Evict();
        evict.setCache("products");
        evict.setKey("#{id}");
        CdcProperties.Table table = new CdcProperties.Table();
        table.getEvict().add(evict);
        CdcMapping mapping = SpelCdcMapping.of(Map.of("public.products", table));
        ChangeApplier applier = new ChangeApplier(mapping, name -> null, null, CdcMeters.NONE, Clock.systemUTC());
        StringRedisTemplate redis = new StringRedisTemplate(factory);
        return new CdcConsumer(properties, mapping, applier, redis, "lease");
    }
}
