/**
 * Spring cache abstraction adapters: {@link io.github.multitiercache.spring.MultiTierCache} and
 * {@link io.github.multitiercache.spring.MultiTierCacheManager}.
 */
@NullMarked
package io.github.multitiercache.spring;

import org.jspecify.annotations.NullMarked;
