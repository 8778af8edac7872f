package io.github.multitiercache.core.invalidation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Turning the keys that tracking pushes name back into caches and key texts.
 */
class TrackedKeyTests {

    @Test
    void aValueKeyNamesItsCacheAndKeyTextWithTheCacheSegmentDecoded() {
        assertThat(TrackedKey.parse("mtc", "mtc:products:17")).isEqualTo(new TrackedKey(TrackedKey.Kind.VALUE,
                "products", "17"));
        assertThat(TrackedKey.parse("mtc", "mtc:a%3Ab:k:1")).isEqualTo(new TrackedKey(TrackedKey.Kind.VALUE,
                "a:b", "k:1"));
        assertThat(TrackedKey.parse("mtc", "mtc:100%25:x")).isEqualTo(new TrackedKey(TrackedKey.Kind.VALUE,
                "100%", "x"));
        assertThat(TrackedKey.parse("", "products:17")).isEqualTo(new TrackedKey(TrackedKey.Kind.VALUE,
                "products", "17"));
    }

    @Test
    void heartbeatsAreRecognisedWithOrWithoutAHashTag() {
        assertThat(TrackedKey.parse("mtc", "mtc:%tracking:abc:42")).isEqualTo(new TrackedKey(
                TrackedKey.Kind.HEARTBEAT, null, "abc:42"));
        assertThat(TrackedKey.parse("mtc", "mtc:%tracking{7}:abc:42")).isEqualTo(new TrackedKey(
                TrackedKey.Kind.HEARTBEAT, null, "abc:42"));
    }

    @Test
    void replicasLocksOtherPrefixesAndMalformedKeysAreIgnored() {
        assertThat(TrackedKey.parse("mtc", "mtc:products%hot{3}:17").kind()).isEqualTo(TrackedKey.Kind.OTHER);
        assertThat(TrackedKey.parse("mtc", "{mtc:products:17}:lock").kind()).isEqualTo(TrackedKey.Kind.OTHER);
        assertThat(TrackedKey.parse("mtc", "mtcx:products:17").kind()).isEqualTo(TrackedKey.Kind.OTHER);
        assertThat(TrackedKey.parse("mtc", "mtc:products").kind()).isEqualTo(TrackedKey.Kind.OTHER);
        assertThat(TrackedKey.parse("mtc", "mtc").kind()).isEqualTo(TrackedKey.Kind.OTHER);
        assertThat(TrackedKey.parse("mtc", "mtc::17").kind()).isEqualTo(TrackedKey.Kind.OTHER);
        assertThat(TrackedKey.parse("mtc", "mtc:a%zz:17").kind()).isEqualTo(TrackedKey.Kind.OTHER);
    }
}
