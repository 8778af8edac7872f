/**
 * Stampede protection across instances: a per-key lock in Redis with an owner token and a lease,
 * token-checked stores that keep a load from writing over a newer put or evict, bounded waiting
 * woken by a notification, refresh-ahead and fail-safe serving of stale values.
 */
@NullMarked
package io.github.multitiercache.core.stampede;

import org.jspecify.annotations.NullMarked;
