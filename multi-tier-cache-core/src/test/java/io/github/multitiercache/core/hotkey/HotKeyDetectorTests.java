package io.github.multitiercache.core.hotkey;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HotKeyDetectorTests {

    private final AtomicLong clock = new AtomicLong();

    /** A Zipf(s) sampler over ranks 1..n by inverse transform on the precomputed CDF. */
    private static final class Zipf {

        private final double[] cdf;
        private final Random random;

        Zipf(int n, double s, long seed) {
            cdf = new double[n];
            double sum = 0;
            for (int i = 1; i <= n; i++) {
                sum += 1 / Math.pow(i, s);
                cdf[i - 1] = sum;
            }
            for (int i = 0; i < n; i++) {
                cdf[i] /= sum;
            }
            random = new Random(seed);
        }

        int next() {
            int index = java.util.Arrays.binarySearch(cdf, random.nextDouble());
            return (index >= 0) ? index : -index - 1;
        }
    }

    @Test
    void underAZipfWorkloadTheDetectedHotKeysAreTheTrueTopKeys() {
        // 1M reads in 10 s over 100k keys; hot means more than 2,000 reads/s.
        HotKeySettings settings = new HotKeySettings(Duration.ofSeconds(10), 2_000, 32, 4096);
        HotKeyDetector detector = new HotKeyDetector(settings, clock::get);
        Zipf zipf = new Zipf(100_000, 1.1, 7);
        Map<Integer, Integer> exact = new HashMap<>();
        for (int i = 0; i < 1_000_000; i++) {
            int key = zipf.next();
            exact.merge(key, 1, Integer::sum);
            detector.record("product-" + key);
            if (i % 100 == 0) {
                clock.addAndGet(1_000_000);
            }
        }
        // One read in 16 is counted (20,000 reads per window at the threshold), so a key within a few
        // per cent of the threshold may fall either way; none further off may.
        Set<String> clearlyHot = keysWithRate(exact, rate -> rate > 2_000 * 1.1);
        Set<String> hotOrBorderline = keysWithRate(exact, rate -> rate > 2_000 * 0.9);
        List<HotKey> detected = detector.hotKeys();

        assertThat(clearlyHot).hasSizeBetween(3, 32);
        assertThat(detected).extracting(HotKey::key).map(String.class::cast)
                .containsAll(clearlyHot).allMatch(hotOrBorderline::contains);
        for (HotKey hot : detected) {
            int rank = Integer.parseInt(((String) hot.key()).substring("product-".length()));
            double trueRate = exact.get(rank) / 10.0;
            assertThat(hot.readsPerSecond()).as("rate of %s", hot.key())
                    .isBetween(trueRate * 0.90, trueRate * 1.10);
        }
        assertThat(detected).isSortedAccordingTo((a, b) -> Double.compare(b.readsPerSecond(), a.readsPerSecond()));
    }

    private static Set<String> keysWithRate(Map<Integer, Integer> exact, java.util.function.DoublePredicate rate) {
        return exact.entrySet().stream().filter(entry -> rate.test(entry.getValue() / 10.0))
                .map(entry -> "product-" + entry.getKey()).collect(Collectors.toSet());
    }

    @Test
    void memoryStaysFixedAsTheKeySpaceGrows() {
        HotKeyDetector detector = new HotKeyDetector(new HotKeySettings(Duration.ofSeconds(1), 100, 8, 1024),
                clock::get);
        int counters = detector.counterCount();
        for (int i = 0; i < 2_000_000; i++) {
            detector.record("distinct-" + i);
            detector.record("hot-" + (i % 20));
        }
        assertThat(detector.counterCount()).isEqualTo(counters).isEqualTo(2 * 4 * 1024);
        assertThat(detector.candidateCount()).isLessThanOrEqualTo(16);
        assertThat(detector.hotKeys()).hasSizeLessThanOrEqualTo(8);
    }

    @Test
    void whenManyKeysPassTheThresholdTheHottestStillWinAndTheCandidatesStayBounded() {
        // 1,000 keys at about 2x the threshold, and 3 keys at about 10x, over one 1-second window.
        HotKeyDetector detector = new HotKeyDetector(new HotKeySettings(Duration.ofSeconds(1), 100, 8, 4096),
                clock::get);
        for (int round = 0; round < 200; round++) {
            for (int key = 0; key < 1_000; key++) {
                detector.record("warm-" + key);
            }
            for (int i = 0; i < 5; i++) {
                detector.record("hot-1");
                detector.record("hot-2");
                detector.record("hot-3");
            }
            clock.addAndGet(4_000_000);
        }
        assertThat(detector.candidateCount()).isLessThanOrEqualTo(16);
        List<HotKey> hot = detector.hotKeys();
        assertThat(hot).hasSize(8);
        assertThat(hot.subList(0, 3)).extracting(HotKey::key).containsExactlyInAnyOrder("hot-1", "hot-2", "hot-3");
    }

    @Test
    void withTheDefaultsOneReadInFourIsCountedAndRatesAreScaledBack() {
        // Defaults: 500 reads/s over 10 s, 5,000 reads per window at the threshold.
        HotKeyDetector detector = new HotKeyDetector(HotKeySettings.defaults(), clock::get);
        for (int millis = 0; millis < 10_000; millis++) {
            if (millis % 10 < 6) {
                detector.record("at-600-per-second");
            }
            if (millis % 10 < 4) {
                detector.record("at-400-per-second");
            }
            clock.addAndGet(1_000_000);
        }
        assertThat(detector.hotKeys()).singleElement().satisfies(hot -> {
            assertThat(hot.key()).isEqualTo("at-600-per-second");
            assertThat(hot.readsPerSecond()).isBetween(540.0, 660.0);
        });
    }

    @Test
    void aKeyReadBelowTheThresholdNeverBecomesHot() {
        HotKeyDetector detector = new HotKeyDetector(new HotKeySettings(Duration.ofSeconds(1), 1_000, 8, 1024),
                clock::get);
        for (int i = 0; i < 900; i++) {
            detector.record("warm");
            clock.addAndGet(1_000_000);
        }
        assertThat(detector.isHot("warm")).isFalse();
        assertThat(detector.hotKeys()).isEmpty();
    }

    @Test
    void aHotKeyCoolsDownWhenItsTrafficStops() {
        HotKeyDetector detector = new HotKeyDetector(new HotKeySettings(Duration.ofSeconds(1), 1_000, 8, 1024),
                clock::get);
        for (int i = 0; i < 5_000; i++) {
            detector.record("flash-sale");
            if (i % 5 == 0) {
                clock.addAndGet(1_000_000);
            }
        }
        assertThat(detector.isHot("flash-sale")).isTrue();
        assertThat(detector.hotKeys()).extracting(HotKey::key).containsExactly("flash-sale");

        // Traffic moves elsewhere for two windows.
        for (int i = 0; i < 2_000; i++) {
            detector.record("other-" + (i % 500));
            clock.addAndGet(1_000_000);
        }
        assertThat(detector.isHot("flash-sale")).isFalse();
        assertThat(detector.hotKeys()).isEmpty();
    }

    @Test
    void invalidSettingsAreRefusedWithTheOptionName() {
        assertThatIllegalArgumentException().isThrownBy(() -> new HotKeySettings(Duration.ofSeconds(1), 10, 8, 1000))
                .withMessageContaining("sketch-width");
        assertThatIllegalArgumentException().isThrownBy(() -> new HotKeySettings(Duration.ofMillis(10), 10, 8, 1024))
                .withMessageContaining("window");
        assertThatIllegalArgumentException().isThrownBy(() -> new HotKeySettings(Duration.ofSeconds(1), 0, 8, 1024))
                .withMessageContaining("min-reads-per-second");
    }
}
