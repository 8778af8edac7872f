/**
 * A product catalogue service that caches its slow repository with multi-tier-cache: Caffeine in
 * the JVM over Redis, behind Spring's {@code @Cacheable}, {@code @CachePut} and {@code @CacheEvict}.
 */
@NullMarked
package io.github.multitiercache.sample;

import org.jspecify.annotations.NullMarked;
