/**
 * The shared tier (L2): Redis I/O over a dedicated Lettuce connection, with timeouts and a circuit breaker.
 */
@NullMarked
package io.github.multitiercache.core.redis;

import org.jspecify.annotations.NullMarked;
