package io.github.multitiercache.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The tagged calls waiting for their put: the put of a key carries the tags of every call of the
 * key still pending, as of the earliest start among them; a released call no longer counts; the
 * number of calls is bounded without ever letting a value go untagged.
 */
class PendingTagsTests {

    private final AtomicLong nanos = new AtomicLong();
    private final PendingTags pending = new PendingTags(nanos::get);

    /** A frame (closed at once: the cache reads it on the calling thread only) giving every value {@code tag}. */
    private static TagFrame frame(long asOf, Object source, String tag) {
        TagFrame frame = TagFrame.open(Set.of(), value -> Set.of(tag + ":" + value), asOf, source, name -> null);
        frame.close();
        return frame;
    }

    @Test
    void aPutCarriesTheTagsOfEveryPendingCallOfItsKeyAsOfTheEarliestStart() {
        TagFrame early = frame(100, "m(1)", "a");
        TagFrame late = frame(200, "n(1)", "b");
        TagFrame sameAsLate = frame(300, "n(1)", "b");
        pending.register("k", late);
        pending.register("k", early);
        pending.register("k", sameAsLate);

        PendingTags.PutTags tags = pending.of("k", null);
        assertThat(tags).isNotNull();
        assertThat(tags.asOfMicros()).isEqualTo(100);
        assertThat(tags.tagsOf("v")).containsExactlyInAnyOrder("b:v", "a:v");
        assertThat(pending.of("other", null)).as("another key").isNull();

        early.release();
        assertThat(pending.of("k", null).asOfMicros()).as("the earliest of the calls left").isEqualTo(200);
        late.release();
        sameAsLate.release();
        assertThat(pending.of("k", null)).isNull();
        assertThat(pending.size()).isZero();
    }

    @Test
    void aPutOnTheCallingThreadCombinesItsFrameWithThePendingCalls() {
        TagFrame pendingCall = frame(100, "m(1)", "a");
        pending.register("k", pendingCall);
        TagFrame current = frame(50, "n(1)", "b");
        PendingTags.PutTags tags = pending.of("k", current);
        assertThat(tags.asOfMicros()).isEqualTo(50);
        assertThat(tags.tagsOf("v")).containsExactlyInAnyOrder("a:v", "b:v");
        assertThat(pending.of("other", current).tagsOf("v")).containsExactly("b:v");
    }

    @Test
    void aRecordMadeAfterItsCallEndedIsDroppedAtOnce() {
        TagFrame ended = frame(100, "m(1)", "a");
        ended.release();
        pending.register("k", ended);
        assertThat(pending.of("k", null)).isNull();
        assertThat(pending.size()).isZero();
    }

    @Test
    void beyondTheBoundPutsWithoutARecordAreNotServableUntilTheRefusedCallEnds() {
        List<TagFrame> frames = new ArrayList<>();
        for (int i = 0; i < PendingTags.MAX_CALLS; i++) {
            TagFrame frame = frame(100, i, "t");
            frames.add(frame);
            assertThat(pending.register(i, frame)).isTrue();
        }
        TagFrame refused = frame(100, "refused", "t");
        assertThat(pending.register("refused", refused)).isFalse();

        PendingTags.PutTags tags = pending.of("refused", null);
        assertThat(tags).as("never untagged").isNotNull();
        assertThatIllegalStateException().isThrownBy(() -> tags.tagsOf("v"));
        assertThat(pending.of(7, null).tagsOf("v")).as("recorded calls keep their tags").containsExactly("t:v");

        refused.release();
        assertThat(pending.of("refused", null)).isNull();
        frames.forEach(TagFrame::release);
        assertThat(pending.size()).isZero();
    }

    @Test
    void recordsNeverReleasedMakeRoomOnceOld() {
        for (int i = 0; i < PendingTags.MAX_CALLS; i++) {
            pending.register(i, frame(100, i, "t"));
        }
        nanos.addAndGet(TimeUnit.MINUTES.toNanos(PendingTags.MAX_AGE_MINUTES) + 1);
        TagFrame fresh = frame(200, "fresh", "u");
        assertThat(pending.register("fresh", fresh)).isTrue();
        assertThat(pending.size()).isEqualTo(1);
        assertThat(pending.of("fresh", null).tagsOf("v")).containsExactly("u:v");
    }
}
