/**
 * The {@code multiTierCache} health contributor (Redis reachability and latency, the circuit
 * breaker, whether the invalidation channel is live) and the {@code redis} contributor that
 * replaces Spring Boot's, both bounded by {@code multi-tier-cache.health.timeout}. Depends on
 * {@code io.github.multitiercache.autoconfigure}, never the reverse.
 */
@NullMarked
package io.github.multitiercache.autoconfigure.health;

import org.jspecify.annotations.NullMarked;
