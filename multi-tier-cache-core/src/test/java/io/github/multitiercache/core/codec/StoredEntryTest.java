package io.github.multitiercache.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class StoredEntryTest {

    @Test
    void nullValueIsACachedNull() {
        assertThat(new StoredEntry(null, 1, 2, 0).isNull()).isTrue();
        assertThat(new StoredEntry("v", 1, 2, 0).isNull()).isFalse();
    }

    @Test
    void remainingMillisCountsDownToZero() {
        StoredEntry entry = new StoredEntry("v", 1_000, 5_000, 12);

        assertThat(entry.remainingMillis(1_000)).isEqualTo(4_000);
        assertThat(entry.remainingMillis(4_999)).isEqualTo(1);
        assertThat(entry.remainingMillis(5_000)).isZero();
        assertThat(entry.remainingMillis(9_000)).isZero();
        assertThat(entry.isExpired(4_999)).isFalse();
        assertThat(entry.isExpired(5_000)).isTrue();
    }

    @Test
    void entryWithoutExpiryNeverExpires() {
        StoredEntry entry = new StoredEntry("v", 0, StoredEntry.NO_EXPIRY, 0);

        assertThat(entry.remainingMillis(Long.MAX_VALUE - 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(entry.isExpired(Long.MAX_VALUE)).isFalse();
    }

    @Test
    void remainingMillisDoesNotOverflow() {
        StoredEntry entry = new StoredEntry("v", 0, Long.MAX_VALUE - 1, 0);

        assertThat(entry.remainingMillis(Long.MIN_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(new StoredEntry("v", 0, Long.MIN_VALUE, 0).remainingMillis(0)).isZero();
    }

    @Test
    void rejectsNegativeLoadMillis() {
        assertThatIllegalArgumentException().isThrownBy(() -> new StoredEntry("v", 0, 1, -1));
    }
}
