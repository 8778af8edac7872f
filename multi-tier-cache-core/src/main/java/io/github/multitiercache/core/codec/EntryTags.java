package io.github.multitiercache.core.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * The tags an entry carries and its "as-of" time: the entry is valid only while every one of its
 * tags was last evicted before that time (see {@code docs/tags.md}).
 *
 * <p>Contract: immutable (but for a memo of its scoped names); at least one tag, each non-blank and
 * free of control characters, at most {@value #MAX_TAG_BYTES} bytes in UTF-8, at most {@value #MAX_TAGS} tags, no duplicates. The as-of time is in epoch microseconds:
 * for a load the time it started, for a put the time of the put.
 */
public final class EntryTags {

    /** The most tags one entry may carry. */
    public static final int MAX_TAGS = 1024;

    /** The longest tag, in UTF-8 bytes. */
    public static final int MAX_TAG_BYTES = 1024;

    /** Between a cache's name and a tag in the name of an eviction limited to that cache. */
    public static final char SCOPE = '\u001f';

    private final String[] tags;
    private final long asOfMicros;
    // The scoped names of the tags for the one cache the entry is checked in, made on first use.
    private @Nullable Scoped scoped;

    private EntryTags(String[] tags, long asOfMicros) {
        this.tags = tags;
        this.asOfMicros = asOfMicros;
    }

    /**
     * The tags of an entry.
     * @param tags the tags; {@code null} and blank ones must have been removed by the caller
     * @param asOfMicros the entry's as-of time, epoch microseconds
     * @return the tags, or {@code null} when {@code tags} is empty
     * @throws IllegalArgumentException when a tag is blank or too long, or there are too many
     */
    public static @Nullable EntryTags of(Collection<String> tags, long asOfMicros) {
        if (tags.isEmpty()) {
            return null;
        }
        Set<String> distinct = new LinkedHashSet<>(tags);
        if (distinct.size() > MAX_TAGS) {
            throw new IllegalArgumentException("an entry carries at most " + MAX_TAGS + " tags, not " + distinct.size());
        }
        for (String tag : distinct) {
            check(tag);
        }
        return new EntryTags(distinct.toArray(new String[0]), asOfMicros);
    }

    /**
     * The tags of a value whose real tags could not be computed: an entry carrying them is never
     * served (it may still be written, and expires as any other).
     * @return the tags
     */
    public static EntryTags unservable() {
        return UNSERVABLE;
    }

    private static final EntryTags UNSERVABLE = new EntryTags(new String[] {"%unservable"}, Long.MIN_VALUE);

    /** @return whether these are the tags of {@link #unservable()} */
    public boolean isUnservable() {
        return asOfMicros == Long.MIN_VALUE;
    }

    /**
     * Checks one tag.
     * @param tag the tag
     * @throws IllegalArgumentException when it is blank, longer than {@value #MAX_TAG_BYTES} bytes, or
     *         holds a control character (U+0000 to U+001F, U+007F to U+009F: U+001F separates a cache's
     *         name from a tag in an eviction limited to that cache)
     */
    public static void check(@Nullable String tag) {
        if (tag == null || tag.isBlank()) {
            throw new IllegalArgumentException("a tag must not be null or blank");
        }
        for (int i = 0; i < tag.length(); i++) {
            if (Character.isISOControl(tag.charAt(i))) {
                throw new IllegalArgumentException("a tag must not hold control characters: '"
                        + tag.substring(0, Math.min(40, tag.length())).replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
        if (tag.length() > MAX_TAG_BYTES || tag.getBytes(StandardCharsets.UTF_8).length > MAX_TAG_BYTES) {
            throw new IllegalArgumentException("a tag is at most " + MAX_TAG_BYTES + " bytes in UTF-8: '"
                    + tag.substring(0, Math.min(40, tag.length())) + "…'");
        }
    }

    /**
     * The name under which an eviction of a tag limited to one cache is known.
     * @param cacheName the cache
     * @param tag the tag
     * @return {@code cacheName + U+001F + tag}
     */
    public static String scoped(String cacheName, String tag) {
        return cacheName + SCOPE + tag;
    }

    /**
     * The scoped names of these tags in a cache ({@link #scoped(String, String)}), made once for the
     * cache an entry is checked in (an entry belongs to one cache) and kept.
     * @param cacheName the cache
     * @return the names, in the order of the tags; not to be modified
     */
    public String[] scopedTags(String cacheName) {
        Scoped made = scoped;
        if (made == null || !made.cacheName().equals(cacheName)) {
            String[] names = new String[tags.length];
            for (int i = 0; i < tags.length; i++) {
                names[i] = scoped(cacheName, tags[i]);
            }
            // Final fields: another thread sees the array filled (a race only makes it twice).
            made = new Scoped(cacheName, names);
            scoped = made;
        }
        return made.names();
    }

    private record Scoped(String cacheName, String[] names) {
    }

    /** @return the tags, in the order first given */
    public List<String> tags() {
        return List.of(tags);
    }

    /** @return the number of tags */
    public int size() {
        return tags.length;
    }

    /**
     * @param index from 0 to {@link #size()} − 1
     * @return the tag at that index
     */
    public String tag(int index) {
        return tags[index];
    }

    /** @return the as-of time in epoch microseconds */
    public long asOfMicros() {
        return asOfMicros;
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof EntryTags that && asOfMicros == that.asOfMicros && Arrays.equals(tags, that.tags);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tags) * 31 + Long.hashCode(asOfMicros);
    }

    @Override
    public String toString() {
        return "EntryTags" + Arrays.toString(tags) + "@" + asOfMicros;
    }
}
