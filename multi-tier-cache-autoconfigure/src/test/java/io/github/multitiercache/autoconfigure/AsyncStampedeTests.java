package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two application contexts (two instances) on one real Redis: 50 concurrent callers on each of a
 * {@code @Cacheable} method returning {@code CompletableFuture} or {@code Mono}, on one missing key,
 * run the method once across both instances, as synchronous methods do.
 */
class AsyncStampedeTests {

    private static final RedisServer redis = RedisServer.shared();
    private static final int CALLERS_PER_INSTANCE = 50;

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private String prefix;

    @BeforeEach
    void prefix(TestInfo test) {
        prefix = "as" + Math.abs(test.getDisplayName().hashCode());
    }

    @AfterEach
    void closeAll() {
        contexts.forEach(ConfigurableApplicationContext::close);
    }

    private AsyncProducts instance() {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(AsyncConfiguration.class)
                .web(WebApplicationType.NONE)
                .properties("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                        "multi-tier-cache.key-prefix=" + prefix)
                .run();
        contexts.add(context);
        return context.getBean(AsyncProducts.class);
    }

    @Test
    void twoInstancesOfACompletableFutureMethodLoadAMissingKeyOnce() throws Exception {
        AsyncProducts one = instance();
        AsyncProducts two = instance();
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 2 * CALLERS_PER_INSTANCE; i++) {
            calls.add(((i % 2 == 0) ? one : two).findFuture("42"));
        }
        for (CompletableFuture<String> call : calls) {
            assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("product-42");
        }
        assertThat(one.calls() + two.calls()).isEqualTo(1);
    }

    @Test
    void twoInstancesOfAMonoMethodLoadAMissingKeyOnce() {
        AsyncProducts one = instance();
        AsyncProducts two = instance();
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 2 * CALLERS_PER_INSTANCE; i++) {
            calls.add(((i % 2 == 0) ? one : two).findMono("42").toFuture());
        }
        for (CompletableFuture<String> call : calls) {
            assertThat(call.orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo("product-42");
        }
        assertThat(one.calls() + two.calls()).isEqualTo(1);
    }

    static class AsyncProducts {

        private final AtomicInteger calls = new AtomicInteger();

        public int calls() {
            return calls.get();
        }

        @Cacheable("products")
        public CompletableFuture<String> findFuture(String id) {
            calls.incrementAndGet();
            return CompletableFuture.supplyAsync(() -> "product-" + id,
                    CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
        }

        @Cacheable(cacheNames = "products-mono", sync = true)
        public Mono<String> findMono(String id) {
            calls.incrementAndGet();
            return Mono.delay(Duration.ofMillis(300)).map(tick -> "product-" + id);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, MultiTierCacheAutoConfiguration.class,
            CacheAutoConfiguration.class })
    static class AsyncConfiguration {

        @Bean
        AsyncProducts asyncProducts() {
            return new AsyncProducts();
        }
    }
}
