package io.github.multitiercache.cdc;

import java.time.Duration;

/** What the consumer reports to metrics; {@link #NONE} without Micrometer. */
interface CdcMeters {

    CdcMeters NONE = new CdcMeters() {
    };

    /** A change was read (op: c, u, d, t, r). */
    default void changeSeen(String table, String op) {
    }

    /** Evictions were made (kind: key, tag, clear). */
    default void evicted(String kind, int count) {
    }

    /** A row could not be mapped. */
    default void mappingFailed(String table) {
    }

    /** The time from the change's commit to its evictions being done. */
    default void lag(Duration lag) {
    }
}
