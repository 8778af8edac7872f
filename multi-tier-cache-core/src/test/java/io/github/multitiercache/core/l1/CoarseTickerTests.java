package io.github.multitiercache.core.l1;

import java.time.Duration;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class CoarseTickerTests {

    @Test
    void whileRunningTimeAdvancesInStepsOfAboutTheResolution() throws Exception {
        CoarseTicker ticker = new CoarseTicker(Duration.ofMillis(1));
        ticker.start();
        try {
            long first = ticker.read();
            Thread.sleep(50);
            long elapsed = ticker.read() - first;
            assertThat(elapsed).isBetween(TimeUnit.MILLISECONDS.toNanos(40), TimeUnit.MILLISECONDS.toNanos(500));
            // Between two ticks reads return the same value: no clock call on the read path.
            long a = ticker.read();
            long b = ticker.read();
            assertThat(b - a).isLessThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        }
        finally {
            ticker.stop();
        }
    }

    @Test
    void whenNotRunningItReadsTheSystemClockSoTimeNeverStandsStill() throws Exception {
        CoarseTicker ticker = new CoarseTicker(Duration.ofMillis(1));
        long before = ticker.read();
        Thread.sleep(5);
        assertThat(ticker.read() - before).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(4));
        ticker.start();
        ticker.stop();
        long stopped = ticker.read();
        Thread.sleep(5);
        assertThat(ticker.read() - stopped).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(4));
        assertThat(ticker.isRunning()).isFalse();
    }

    @Test
    void l1EntriesExpireOnTheCoarseClock() {
        CoarseTicker ticker = new CoarseTicker(Duration.ofMillis(1));
        ticker.start();
        try {
            L1Tier tier = new L1Tier(100, ticker, ForkJoinPool.commonPool());
            tier.put("k", "k", "v", TimeUnit.MILLISECONDS.toNanos(100), 0);
            assertThat(tier.get("k")).isNotNull();
            await().atMost(Duration.ofSeconds(2)).until(() -> tier.get("k") == null);
        }
        finally {
            ticker.stop();
        }
    }

    @Test
    void aResolutionBelowOneHundredMicrosecondsIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> new CoarseTicker(Duration.ofNanos(10_000)))
                .withMessageContaining("resolution");
    }
}
