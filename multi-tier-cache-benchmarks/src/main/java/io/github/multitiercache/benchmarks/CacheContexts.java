package io.github.multitiercache.benchmarks;

import java.util.ArrayList;
import java.util.List;

import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts {@link BenchmarkApplication} with one cache manager or another, chosen by properties
 * exactly as a user would: the multi-tier-cache auto-configuration, Spring Boot's
 * {@code CaffeineCacheManager} ({@code spring.cache.type=caffeine}) or Spring Boot's
 * {@code RedisCacheManager} ({@code spring.cache.type=redis}, default settings).
 */
final class CacheContexts {

    /** The cache every benchmark uses. */
    static final String CACHE = "products";

    private CacheContexts() {
    }

    /**
     * The application with the multi-tier-cache manager over the given Redis.
     * @param redis the Redis server
     * @param properties extra {@code key=value} properties, e.g. {@code multi-tier-cache.defaults.l1.enabled=false}
     * @return the started context
     */
    static ConfigurableApplicationContext multiTier(RedisServer redis, String... properties) {
        return start(redis, properties);
    }

    /**
     * The application with Spring's {@code CaffeineCacheManager} and no Redis at all.
     * @param spec the Caffeine spec, e.g. {@code maximumSize=10000} (the multi-tier L1 default bound)
     * @return the started context
     */
    static ConfigurableApplicationContext springCaffeine(String spec) {
        return start(null, "spring.cache.type=caffeine", "spring.cache.caffeine.spec=" + spec,
                "multi-tier-cache.enabled=false",
                "spring.autoconfigure.exclude=org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration");
    }

    /**
     * The application with Spring's {@code RedisCacheManager} in its default configuration (JDK
     * serialization, {@code cache::key} keys, no TTL) over the given Redis.
     * @param redis the Redis server
     * @return the started context
     */
    static ConfigurableApplicationContext springRedis(RedisServer redis) {
        return start(redis, "spring.cache.type=redis", "multi-tier-cache.enabled=false");
    }

    /**
     * The {@value #CACHE} cache of a context.
     * @param context the context
     * @return the cache
     */
    static Cache cache(ConfigurableApplicationContext context) {
        Cache cache = context.getBean(CacheManager.class).getCache(CACHE);
        if (cache == null) {
            throw new IllegalStateException("No cache " + CACHE + " in " + context.getBean(CacheManager.class));
        }
        return cache;
    }

    /**
     * The {@value #CACHE} cache of a context with the multi-tier-cache manager.
     * @param context the context
     * @return the cache
     */
    static MultiTierCache multiTierCache(ConfigurableApplicationContext context) {
        CacheManager manager = context.getBean(CacheManager.class);
        if (!(manager instanceof MultiTierCacheManager multiTier)) {
            throw new IllegalStateException("Expected the multi-tier-cache manager but got " + manager);
        }
        MultiTierCache cache = multiTier.getCache(CACHE);
        if (cache == null) {
            throw new IllegalStateException("No cache " + CACHE);
        }
        return cache;
    }

    private static ConfigurableApplicationContext start(@Nullable RedisServer redis, String... properties) {
        List<String> all = new ArrayList<>(List.of("spring.main.banner-mode=off",
                "spring.main.log-startup-info=false", "logging.level.root=WARN"));
        if (redis != null) {
            all.add("spring.data.redis.host=" + redis.host());
            all.add("spring.data.redis.port=" + redis.port());
        }
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(BenchmarkApplication.class)
                .web(WebApplicationType.NONE)
                .properties(all.toArray(String[]::new))
                .run();
    }
}
