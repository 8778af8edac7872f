package io.github.multitiercache.core.hotkey;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.lettuce.core.cluster.SlotHash;

/**
 * The hash tags that place a hot key's replicas on Redis Cluster slots spread evenly over the
 * slot space.
 *
 * <p>With {@code n} replicas, replica {@code i} goes to the slot in the middle of the {@code i}-th
 * of {@code n} equal slices of the 16,384 slots. A cluster whose masters own equal contiguous
 * ranges (as {@code redis-cli --cluster create} assigns them) thus holds one replica per master
 * when {@code n} equals the number of masters, and spreads them over {@code n} masters when it has
 * more. The tags depend on {@code n} alone, never on the topology, so every instance names the
 * same replica keys, and a resharding moves replicas without renaming them.
 */
public final class ReplicaTags {

    private static final ConcurrentMap<Integer, String[]> TAGS = new ConcurrentHashMap<>();

    private ReplicaTags() {
    }

    /**
     * The hash tags of {@code n} replicas, each the shortest base-36 number found that hashes to its
     * slot.
     * @param n the number of replicas, at least 1
     * @return {@code n} tags, without braces
     */
    public static String[] of(int n) {
        if (n < 1 || n > HotKeySettings.MAX_REPLICAS) {
            throw new IllegalArgumentException("replicas must be between 1 and " + HotKeySettings.MAX_REPLICAS);
        }
        return TAGS.computeIfAbsent(n, ReplicaTags::compute).clone();
    }

    /**
     * The slot replica {@code i} of {@code n} is placed on.
     * @param i the replica's index, from 0
     * @param n the number of replicas
     * @return the slot, in {@code [0, 16384)}
     */
    public static int slotOf(int i, int n) {
        return (int) ((2L * i + 1) * SlotHash.SLOT_COUNT / (2L * n));
    }

    private static String[] compute(int n) {
        String[] tags = new String[n];
        for (int i = 0; i < n; i++) {
            int slot = slotOf(i, n);
            for (int candidate = 0; tags[i] == null; candidate++) {
                String tag = Integer.toString(candidate, 36);
                if (SlotHash.getSlot(tag.getBytes(StandardCharsets.US_ASCII)) == slot) {
                    tags[i] = tag;
                }
            }
        }
        return tags;
    }
}
