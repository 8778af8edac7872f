/**
 * How cache entries are laid out in Redis: {@link io.github.multitiercache.core.codec.EntryCodec}
 * frames a {@link io.github.multitiercache.core.codec.StoredEntry} (value plus timing metadata) in
 * a small versioned binary envelope, and
 * {@link io.github.multitiercache.core.codec.JsonValueSerializer} is the default payload codec,
 * JSON with polymorphic typing restricted to a
 * {@link io.github.multitiercache.core.codec.TypeAllowList}.
 */
@NullMarked
package io.github.multitiercache.core.codec;

import org.jspecify.annotations.NullMarked;
