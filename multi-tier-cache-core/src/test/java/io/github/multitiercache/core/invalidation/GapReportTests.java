package io.github.multitiercache.core.invalidation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GapReportTests {

    private final GapReport report = new GapReport("mtc:invalidation");

    @Test
    void aSingleGapReadsAsItAlwaysDid() {
        report.lost("a", 3, 0);
        assertThat(report.take()).isEqualTo("Dropped L1 of every cache after 3 lost message(s) from instance a");
        report.resubscribed(0);
        assertThat(report.take()).isEqualTo("Dropped L1 of every cache after resubscription to mtc:invalidation");
        report.silent("b", 0);
        assertThat(report.take()).isEqualTo("Dropped L1 of every cache after instance b fell silent without saying goodbye");
        report.firstInMidSequence("c", 42, 0);
        assertThat(report.take()).isEqualTo("Dropped L1 of every cache after the first message of instance c is number 42");
        report.unreadable("bad json", 0);
        assertThat(report.take()).isEqualTo("Dropped L1 of every cache after an unreadable message on mtc:invalidation (bad json)");
    }

    @Test
    void anEpisodeIsOneLineThatCountsEachKindOfGapAndTheGapsAndTheirSpan() {
        report.silent("a", 1_000_000);
        report.silent("b", 2_000_000);
        report.resubscribed(500_000_000);
        report.lost("a", 3, 510_000_000);
        report.lost("a", 4, 520_000_000);
        report.lost("b", 7, 1_501_000_000);
        assertThat(report.firstNanos()).isEqualTo(1_000_000);
        assertThat(report.lastNanos()).isEqualTo(1_501_000_000);
        assertThat(report.take()).isEqualTo("Dropped L1 of every cache after resubscription to mtc:invalidation,"
                + " 14 lost message(s) from 2 instances (a, b),"
                + " 2 instances (a, b) that fell silent without saying goodbye (6 gaps in 1500ms, each dropped L1)");
        assertThat(report.isPending()).isFalse();
        assertThat(report.take()).as("taken").isNull();
    }

    @Test
    void manySendersAreCountedAndAtMostFiveNamed() {
        for (int i = 0; i < 300; i++) {
            report.lost("s" + i, 1, i);
        }
        assertThat(report.take()).startsWith("Dropped L1 of every cache after 300 lost message(s) from more than 256"
                + " instances (s0, s1, s2, s3, s4, …) (300 gaps in 0ms");
    }
}
