package io.github.multitiercache.benchmarks;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;

/**
 * The small, non-web application every Spring-managed contender runs in; which cache manager it
 * gets is decided by properties only (see {@link CacheContexts}), as in a real service.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
@EnableCaching
public class BenchmarkApplication {

    @Bean
    ProductService productService() {
        return new ProductService();
    }
}
