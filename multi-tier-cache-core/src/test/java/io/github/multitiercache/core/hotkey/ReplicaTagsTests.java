package io.github.multitiercache.core.hotkey;

import java.nio.charset.StandardCharsets;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ReplicaTagsTests {

    @Test
    void eachTagHashesToTheMiddleOfItsSliceOfTheSlotSpace() {
        for (int n = 1; n <= HotKeySettings.MAX_REPLICAS; n++) {
            String[] tags = ReplicaTags.of(n);
            assertThat(tags).hasSize(n).doesNotHaveDuplicates();
            for (int i = 0; i < n; i++) {
                int slot = SlotHash.getSlot(("prefix:cache%hot{" + tags[i] + "}:any key").getBytes(StandardCharsets.UTF_8));
                assertThat(slot).isEqualTo(ReplicaTags.slotOf(i, n));
                assertThat(slot).isBetween(i * SlotHash.SLOT_COUNT / n, (i + 1) * SlotHash.SLOT_COUNT / n);
            }
        }
        assertThat(new int[] { ReplicaTags.slotOf(0, 3), ReplicaTags.slotOf(1, 3), ReplicaTags.slotOf(2, 3) })
                .containsExactly(2730, 8192, 13653);
    }

    @Test
    void tagsAreStableSoThatEveryInstanceNamesTheSameReplicas() {
        assertThat(ReplicaTags.of(3)).containsExactly(ReplicaTags.of(3));
    }

    @Test
    void replicaCountsOutsideTheSupportedRangeAreRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> ReplicaTags.of(0));
        assertThatIllegalArgumentException().isThrownBy(() -> ReplicaTags.of(HotKeySettings.MAX_REPLICAS + 1));
    }
}
