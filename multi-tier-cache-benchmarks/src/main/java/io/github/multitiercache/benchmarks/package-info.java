/**
 * JMH benchmarks of multi-tier-cache, each beside its baselines (raw Caffeine, raw Lettuce,
 * Spring's {@code CaffeineCacheManager} and {@code RedisCacheManager}) in the same run. Every
 * benchmark that needs Redis starts its own {@code redis-server} on a free loopback port.
 * How to run them and the latest results: {@code docs/benchmarks.md}.
 */
@NullMarked
package io.github.multitiercache.benchmarks;

import org.jspecify.annotations.NullMarked;
