/**
 * The in-process tier (L1), on Caffeine with per-entry expiry.
 */
@NullMarked
package io.github.multitiercache.core.l1;

import org.jspecify.annotations.NullMarked;
