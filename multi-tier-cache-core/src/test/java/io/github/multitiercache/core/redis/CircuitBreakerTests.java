package io.github.multitiercache.core.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.github.multitiercache.core.redis.CircuitBreaker.State;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CircuitBreakerTests {

    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(5), now::get);
    private final List<String> transitions = new ArrayList<>();

    CircuitBreakerTests() {
        breaker.addListener((from, to) -> transitions.add(from + "->" + to));
    }

    @Test
    void opensAfterThresholdConsecutiveFailuresOnly() {
        breaker.onFailure();
        breaker.onFailure();
        breaker.onSuccess();
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(transitions).containsExactly("CLOSED->OPEN");
    }

    @Test
    void letsExactlyOneProbeThroughAfterTheOpenDurationAndClosesOnItsSuccess() {
        open();
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        breaker.onSuccess();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }

    @Test
    void probeNowLetsOneCallerThroughBeforeTheOpenDurationIsOver() {
        open();
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(breaker.tryAcquire()).isFalse();
        breaker.probeNow();
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).as("one probe only").isFalse();
        breaker.onSuccess();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }

    @Test
    void probeNowLeavesAClosedBreakerAndAPendingProbeAlone() {
        breaker.probeNow();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        open();
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.probeNow();
        assertThat(breaker.tryAcquire()).as("the probe under way is the only one").isFalse();
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    }

    @Test
    void aFailedProbeOpensTheBreakerForAnotherOpenDuration() {
        open();
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        assertThat(breaker.tryAcquire()).isFalse();
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void aProbeThatNeverReportsIsReplacedAfterTheOpenDuration() {
        open();
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatIllegalArgumentException().isThrownBy(() -> new CircuitBreaker(0, Duration.ofSeconds(1), now::get))
                .withMessageContaining("failure threshold");
        assertThatIllegalArgumentException().isThrownBy(() -> new CircuitBreaker(1, Duration.ZERO, now::get))
                .withMessageContaining("open duration");
    }

    private void open() {
        for (int i = 0; i < 3; i++) {
            breaker.onFailure();
        }
    }
}
