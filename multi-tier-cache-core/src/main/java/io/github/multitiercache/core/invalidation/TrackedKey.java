package io.github.multitiercache.core.invalidation;

import org.jspecify.annotations.Nullable;

/**
 * What a Redis key named by a client-side tracking push is to this library: a cache's value
 * ({@code <prefix>:<cache>:<key>}, the cache segment percent-encoded as {@code KeySpace} writes it),
 * a tracking heartbeat ({@code <prefix>:%tracking…:<instance>:<sent-nanos>}), or anything else
 * under the prefix (a hot key's replica {@code <prefix>:<cache>%hot{tag}:<key>}, whose changes are
 * the library's own copies, or a key of another program), which is ignored.
 *
 * @param kind what the key is
 * @param cache the cache's name, for a value
 * @param text the key's text form, for a value; the part after {@code %tracking…:} for a heartbeat
 */
record TrackedKey(Kind kind, @Nullable String cache, @Nullable String text) {

    /** The segment that starts a heartbeat key; a cache segment never holds a bare {@code %}. */
    static final String HEARTBEAT_SEGMENT = "%tracking";

    private static final TrackedKey OTHER = new TrackedKey(Kind.OTHER, null, null);

    /** What a tracked key is. */
    enum Kind {
        /** a value of a cache */
        VALUE,
        /** a tracking heartbeat */
        HEARTBEAT,
        /** anything else: ignored */
        OTHER
    }

    /**
     * @param keyPrefix the key prefix of the caches, possibly empty
     * @param redisKey the key a push named
     * @return what it is
     */
    static TrackedKey parse(String keyPrefix, String redisKey) {
        int start = 0;
        if (!keyPrefix.isEmpty()) {
            if (!redisKey.startsWith(keyPrefix) || redisKey.length() <= keyPrefix.length()
                    || redisKey.charAt(keyPrefix.length()) != ':') {
                return OTHER;
            }
            start = keyPrefix.length() + 1;
        }
        int end = redisKey.indexOf(':', start);
        if (end < 0) {
            return OTHER;
        }
        String segment = redisKey.substring(start, end);
        String rest = redisKey.substring(end + 1);
        if (segment.startsWith(HEARTBEAT_SEGMENT)) {
            return new TrackedKey(Kind.HEARTBEAT, null, rest);
        }
        String cache = decodeSegment(segment);
        return (cache != null) ? new TrackedKey(Kind.VALUE, cache, rest) : OTHER;
    }

    /**
     * Reverses {@code KeySpace.segment}: {@code %25} is {@code %}, {@code %3A} is {@code :}.
     * @return the cache name, or {@code null} when the segment holds any other {@code %} (a
     *         replica's or a heartbeat's key)
     */
    static @Nullable String decodeSegment(String segment) {
        if (segment.isEmpty()) {
            return null;
        }
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        StringBuilder name = new StringBuilder(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c != '%') {
                name.append(c);
            }
            else if (segment.startsWith("25", i + 1)) {
                name.append('%');
                i += 2;
            }
            else if (segment.startsWith("3A", i + 1)) {
                name.append(':');
                i += 2;
            }
            else {
                return null;
            }
        }
        return name.toString();
    }
}
