/**
 * The {@code multiTierCache} health contributor: Redis reachability and latency, the circuit
 * breaker, and whether the invalidation channel is live.
 */
@NullMarked
package io.github.multitiercache.autoconfigure.health;

import org.jspecify.annotations.NullMarked;
