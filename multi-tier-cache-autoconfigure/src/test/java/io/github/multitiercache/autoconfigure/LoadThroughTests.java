package io.github.multitiercache.autoconfigure;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.testsupport.ConcurrentCalls;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plain {@code @Cacheable} methods load through the cache: one call per key for concurrent
 * callers, and the fill is not broadcast to other instances.
 */
class LoadThroughTests {

    private static final RedisServer redis = RedisServer.shared();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
                    MultiTierCacheAutoConfiguration.class, CacheAutoConfiguration.class))
            .withPropertyValues("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                    "multi-tier-cache.key-prefix=lt")
            .withUserConfiguration(ServiceConfiguration.class);

    @BeforeEach
    void flush() {
        redis.flushAll();
    }

    @Test
    void concurrentCallersOfAPlainCacheableMethodShareOneCall() {
        contextRunner.run(context -> {
            SlowService service = context.getBean(SlowService.class);
            List<Object> results = ConcurrentCalls.run(32, i -> service.find("k"));
            assertThat(results).hasSize(32).containsOnly("value-k");
            assertThat(service.calls()).isEqualTo(1);
        });
    }

    @Test
    void aPlainCacheableFillIsNotBroadcastButAnEvictIs() {
        contextRunner.run(context -> {
            SlowService service = context.getBean(SlowService.class);
            InvalidationBus bus = context.getBean(InvalidationBus.class);
            long before = bus.statistics().keysSent();
            service.find("a");
            service.find("b");
            assertThat(bus.statistics().keysSent()).isEqualTo(before);
            service.evict("a");
            assertThat(bus.statistics().keysSent()).isEqualTo(before + 1);
        });
    }

    @Test
    void methodsWithUnlessKeepSpringsUsualPath() {
        contextRunner.run(context -> {
            SlowService service = context.getBean(SlowService.class);
            assertThat(service.findUnlessEmpty("")).isEmpty();
            assertThat(service.findUnlessEmpty("")).isEmpty();
            assertThat(service.unlessCalls()).isEqualTo(2);
            service.findUnlessEmpty("x");
            service.findUnlessEmpty("x");
            assertThat(service.unlessCalls()).isEqualTo(3);
        });
    }

    @Test
    void loadThroughCanBeSwitchedOff() {
        contextRunner.withPropertyValues("multi-tier-cache.load-through=false").run(context -> {
            SlowService service = context.getBean(SlowService.class);
            InvalidationBus bus = context.getBean(InvalidationBus.class);
            long before = bus.statistics().keysSent();
            service.find("a");
            assertThat(bus.statistics().keysSent()).as("Spring's put after a miss").isEqualTo(before + 1);
        });
    }

    static class SlowService {

        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger unlessCalls = new AtomicInteger();

        @Cacheable("slow")
        public String find(String id) throws InterruptedException {
            calls.incrementAndGet();
            Thread.sleep(200);
            return "value-" + id;
        }

        @Cacheable(cacheNames = "unless", unless = "#result.isEmpty()")
        public String findUnlessEmpty(String id) {
            unlessCalls.incrementAndGet();
            return id;
        }

        @CacheEvict("slow")
        public void evict(String id) {
        }

        public int calls() {
            return calls.get();
        }

        public int unlessCalls() {
            return unlessCalls.get();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class ServiceConfiguration {

        @Bean
        SlowService slowService() {
            return new SlowService();
        }
    }
}
