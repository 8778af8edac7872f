package io.github.multitiercache.core.hotkey;

import java.util.concurrent.atomic.LongAdder;

/** Running counts of one cache's hot keys; thread-safe. */
public final class HotKeyStatistics {

    private final LongAdder promotions = new LongAdder();
    private final LongAdder cooldowns = new LongAdder();
    private final LongAdder replicaHits = new LongAdder();
    private final LongAdder replicaMisses = new LongAdder();
    private final LongAdder announcementsIgnored = new LongAdder();

    /** Counts a key found hot in this instance. */
    public void onPromotion() {
        promotions.increment();
    }

    /** Counts a key no longer hot in this instance. */
    public void onCooldown() {
        cooldowns.increment();
    }

    /** Counts a read served by a replica. */
    public void onReplicaHit() {
        replicaHits.increment();
    }

    /** Counts a replica read that missed and went to the key itself. */
    public void onReplicaMiss() {
        replicaMisses.increment();
    }

    /** Counts an announced key not taken, because too many keys are hot already. */
    public void onAnnouncementIgnored() {
        announcementsIgnored.increment();
    }

    /** @return the number of times a key became hot in this instance */
    public long promotions() {
        return promotions.sum();
    }

    /** @return the number of times a key stopped being hot in this instance */
    public long cooldowns() {
        return cooldowns.sum();
    }

    /** @return the number of reads served by a replica */
    public long replicaHits() {
        return replicaHits.sum();
    }

    /** @return the number of replica reads that missed and read the key itself */
    public long replicaMisses() {
        return replicaMisses.sum();
    }

    /** @return the number of announced keys not taken because too many keys were hot already */
    public long announcementsIgnored() {
        return announcementsIgnored.sum();
    }
}
