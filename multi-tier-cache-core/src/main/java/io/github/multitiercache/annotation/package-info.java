/**
 * The project's caching annotation, {@link io.github.multitiercache.annotation.MultiTierCacheable},
 * and the registry that turns its per-method options into per-cache settings.
 */
@NullMarked
package io.github.multitiercache.annotation;

import org.jspecify.annotations.NullMarked;
