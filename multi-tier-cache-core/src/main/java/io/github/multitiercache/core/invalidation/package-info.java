/**
 * Cross-instance L1 invalidation over Redis pub/sub, with gap detection and a stated staleness
 * bound: {@link io.github.multitiercache.core.invalidation.InvalidationBus}.
 */
@NullMarked
package io.github.multitiercache.core.invalidation;

import org.jspecify.annotations.NullMarked;
