/**
 * The {@code multitiercache} actuator endpoint: per-cache configuration and statistics, the state
 * of the invalidation channel, where one key is held, and operations to evict a key everywhere or
 * drop this instance's L1.
 */
@NullMarked
package io.github.multitiercache.autoconfigure.endpoint;

import org.jspecify.annotations.NullMarked;
