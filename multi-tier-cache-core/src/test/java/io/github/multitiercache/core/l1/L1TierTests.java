package io.github.multitiercache.core.l1;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class L1TierTests {

    private static final long TTL = Duration.ofMinutes(1).toNanos();

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicInteger handedOff = new AtomicInteger();
    // Counts the maintenance a read hands off, and runs it at once so that the tests are deterministic.
    private final Executor executor = task -> {
        handedOff.incrementAndGet();
        task.run();
    };

    @Test
    void hitsOfATierLessThanHalfFullHandNoMaintenanceToTheExecutor() {
        L1Tier tier = new L1Tier(1_000, now::get, executor);
        for (int i = 0; i < 100; i++) {
            tier.put("k" + i, "k" + i, "v" + i, TTL, 0);
        }
        handedOff.set(0);

        for (int i = 0; i < 10_000; i++) {
            assertThat(tier.get("k" + (i % 100))).isNotNull();
        }

        assertThat(handedOff).hasValue(0);
    }

    @Test
    void onceHalfFullHitsAreRecordedSoThatAFrequentlyReadKeyOutlivesNewerOnes() {
        L1Tier tier = new L1Tier(8, now::get, executor);
        for (int i = 0; i < 8; i++) {
            tier.put("k" + i, "k" + i, "v" + i, TTL, 0);
        }
        tier.cleanUp();
        handedOff.set(0);
        for (int i = 0; i < 200; i++) {
            assertThat(tier.get("k0")).isNotNull();
        }
        assertThat(handedOff).as("maintenance asked for by recorded reads").hasPositiveValue();

        for (int i = 0; i < 100; i++) {
            tier.put("new" + i, "new" + i, "v", TTL, 0);
        }
        tier.cleanUp();

        assertThat(tier.get("k0")).isNotNull();
        assertThat(tier.sizeEvictions()).isEqualTo(100);
    }

    @Test
    void aHitOfATierLessThanHalfFullStillEndsAtTheEntrysExpiry() {
        L1Tier tier = new L1Tier(1_000, now::get, executor);
        tier.put("short", "short", "v", Duration.ofSeconds(1).toNanos(), 0);
        tier.put("long", "long", "v", TTL, 0);

        now.addAndGet(Duration.ofSeconds(2).toNanos());

        assertThat(tier.get("short")).isNull();
        assertThat(tier.get("long")).isNotNull();
        tier.cleanUp();
        assertThat(tier.expirations()).isEqualTo(1);
        assertThat(tier.estimatedSize()).isEqualTo(1);
    }
}
