/**
 * Hot-key detection: a compact, constant-memory frequency sketch over a sliding window that finds
 * the keys taking a large share of one instance's reads.
 */
@NullMarked
package io.github.multitiercache.core.hotkey;

import org.jspecify.annotations.NullMarked;
