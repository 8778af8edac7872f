/**
 * The two-tier cache engine: Caffeine (L1) over Redis (L2), free of Spring Boot.
 *
 * <p>{@link io.github.multitiercache.core.TieredCache} holds the read and write paths of one
 * cache; {@link io.github.multitiercache.core.CacheSettings} is its immutable configuration.
 */
@NullMarked
package io.github.multitiercache.core;

import org.jspecify.annotations.NullMarked;
