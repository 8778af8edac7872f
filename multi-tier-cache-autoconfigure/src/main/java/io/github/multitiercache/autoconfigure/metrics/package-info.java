/**
 * Micrometer meters of multi-tier caches: the standard cache meters and per-tier meters of every
 * cache, bound through Spring Boot's cache metrics registrar, and the meters of the Redis tier and
 * the invalidation channel.
 */
@NullMarked
package io.github.multitiercache.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
