package io.github.multitiercache.core;

import io.github.multitiercache.core.codec.EntryTags;
import org.jspecify.annotations.Nullable;

/**
 * A value on its way into the tiers with its tags: what a tagged put hands to {@link Store}, and what
 * the loader of a tagged read returns to the engine ({@link TieredCache} unwraps it before the caller
 * sees it). {@link Store} takes the tags from it into the entry.
 *
 * @param value the value, {@code null} for a null
 * @param tags its tags and as-of time, {@code null} when it carries none
 */
record Tagged(@Nullable Object value, @Nullable EntryTags tags) {

    /** @return the value of a possibly tagged object */
    static @Nullable Object unwrap(@Nullable Object value) {
        return (value instanceof Tagged tagged) ? tagged.value() : value;
    }
}
