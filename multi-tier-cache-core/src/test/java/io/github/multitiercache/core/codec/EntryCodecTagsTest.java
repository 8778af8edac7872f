package io.github.multitiercache.core.codec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tag section of the envelope: round trips, untagged bytes unchanged, garbage refused. */
class EntryCodecTagsTest {

    private final JsonValueSerializer json = JsonValueSerializer.jdkTypesOnly();
    private final EntryCodec codec = new EntryCodec(json, 64, 0);
    private final EntryTags tags = EntryTags.of(List.of("product:42", "category:héllo", "t"), 1_700_000_000_123_456L);

    @Test
    void aTaggedEntryRoundTripsPlainCompressedAndNull() {
        StoredEntry plain = new StoredEntry("v", 1L, 2L, 3, tags);
        StoredEntry compressed = new StoredEntry("x".repeat(1_000), 1L, 2L, 3, tags);
        StoredEntry nothing = new StoredEntry(null, 1L, 2L, 3, tags);
        for (StoredEntry entry : List.of(plain, compressed, nothing)) {
            byte[] bytes = codec.encode(entry);
            assertThat(bytes[2] & EntryCodec.FLAG_TAGS).isEqualTo(EntryCodec.FLAG_TAGS);
            assertThat(codec.decode(bytes)).isEqualTo(entry);
        }
        assertThat(codec.encode(compressed)[2] & EntryCodec.FLAG_COMPRESSED).isEqualTo(EntryCodec.FLAG_COMPRESSED);
    }

    @Test
    void anUntaggedEntryKeepsTheBytesOfReleasesWithoutTags() {
        StoredEntry entry = new StoredEntry(new ArrayList<>(List.of(1L, "two")), 10L, 20L, 5);
        byte[] bytes = codec.encode(entry);
        assertThat(bytes[2]).isZero();
        assertThat(bytes).hasSize(EntryCodec.HEADER_BYTES + json.serialize(entry.value()).length);
        assertThat(codec.decode(bytes).tags()).isNull();
    }

    @Test
    void aTaggedEntrySetsAFlagBitThatReleasesWithoutTagsRefuse() {
        // Releases without tags know bits 0 and 1 only: bit 2 makes them refuse the entry as corrupt.
        byte[] bytes = codec.encode(new StoredEntry("v", 1L, 2L, 3, tags));
        assertThat(bytes[2] & ~0x03).isNotZero();
    }

    @Test
    void aDamagedTagSectionIsRefusedAsCorrupt() {
        byte[] bytes = codec.encode(new StoredEntry("v", 1L, 2L, 3, tags));
        int countAt = EntryCodec.HEADER_BYTES + 8;
        byte[] noTags = bytes.clone();
        noTags[countAt] = 0;
        noTags[countAt + 1] = 0;
        assertThatThrownBy(() -> codec.decode(noTags)).isInstanceOf(CorruptEntryException.class);
        byte[] tooLong = bytes.clone();
        tooLong[countAt + 2] = (byte) 0xFF;
        assertThatThrownBy(() -> codec.decode(tooLong)).isInstanceOf(CorruptEntryException.class);
        byte[] truncated = Arrays.copyOf(bytes, EntryCodec.HEADER_BYTES + 12);
        assertThatThrownBy(() -> codec.decode(truncated)).isInstanceOf(CorruptEntryException.class);
        byte[] duplicate = codec.encode(new StoredEntry("v", 1L, 2L, 3, EntryTags.of(List.of("ab", "ac"), 1L)));
        duplicate[countAt + 2 + 2 + 1] = 'c';
        assertThatThrownBy(() -> codec.decode(duplicate)).isInstanceOf(CorruptEntryException.class)
                .hasMessageContaining("twice");
    }

    @Test
    void randomGarbageBehindTheTagFlagNeverDecodesToSomethingElse() {
        Random random = new Random(42);
        byte[] valid = codec.encode(new StoredEntry("v", 1L, 2L, 3, tags));
        for (int i = 0; i < 2_000; i++) {
            byte[] damaged = valid.clone();
            int at = EntryCodec.HEADER_BYTES + random.nextInt(damaged.length - EntryCodec.HEADER_BYTES);
            damaged[at] = (byte) random.nextInt(256);
            try {
                StoredEntry decoded = codec.decode(damaged);
                assertThat(decoded.tags()).isNotNull();
            }
            catch (CorruptEntryException expected) {
                // refused: a miss
            }
        }
    }

    @Test
    void tagsAreCheckedWhenMade() {
        assertThat(EntryTags.of(Set.of(), 1L)).isNull();
        assertThatIllegalArgumentException().isThrownBy(() -> EntryTags.of(List.of(" "), 1L));
        assertThatIllegalArgumentException().isThrownBy(() -> EntryTags.of(List.of("x".repeat(1_025)), 1L));
        assertThat(EntryTags.of(List.of("a", "a", "b"), 1L).tags()).containsExactly("a", "b");
    }
}
