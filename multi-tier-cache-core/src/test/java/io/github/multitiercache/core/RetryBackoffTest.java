package io.github.multitiercache.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** One try scheduled at a time, after 50 ms doubling up to 500 ms while refused, 50 ms again after a reset. */
class RetryBackoffTest {

    private final FakeTime time = new FakeTime();
    private final List<Long> triesAt = new ArrayList<>();
    private boolean refusing = true;
    private RetryBackoff backoff;

    @Test
    void triesAgainWithADoublingDelayWhileRefusedAndFromTheFirstDelayAfterAReset() {
        backoff = new RetryBackoff(time, () -> {
            triesAt.add(time.millis());
            if (refusing) {
                backoff.schedule();
            }
            else {
                backoff.reset();
            }
        });
        long start = time.millis();
        backoff.schedule();
        backoff.schedule();
        for (int i = 0; i < 60; i++) {
            time.advance(Duration.ofMillis(50));
        }
        assertThat(triesAt.stream().map(at -> at - start).toList()).as("one try at a time, delays doubling to 500 ms")
                .containsExactly(50L, 150L, 350L, 750L, 1250L, 1750L, 2250L, 2750L);
        refusing = false;
        time.advance(Duration.ofMillis(500));
        triesAt.clear();
        long paid = time.millis();
        backoff.schedule();
        time.advance(Duration.ofMillis(50));
        assertThat(triesAt).as("after a reset, the first delay again").containsExactly(paid + 50);
    }
}
