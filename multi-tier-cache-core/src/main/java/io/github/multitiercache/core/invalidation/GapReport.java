package io.github.multitiercache.core.invalidation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The gaps an {@link InvalidationBus} detected since it last logged them, summed up in one log line.
 *
 * <p>One fault usually shows as many gaps in a short time: a Redis restart is a resubscription,
 * then a gap in every peer's numbers (the numbers of the heartbeats that could not be published),
 * often several per peer as queued and rejected publishes are sorted out, and peers falling silent
 * if it lasted longer than {@code max-staleness}. Each gap drops L1 when it is detected; the report
 * only decides when to <em>say</em> so: once the episode is over, in one line that counts what it
 * covered. Not thread-safe on its own: the bus calls it under its lock.
 */
final class GapReport {

    /** Instances named in a line beyond which only their number is given. */
    private static final int NAMED = 5;

    /** Instances tracked per kind of gap; more (a flood of foreign senders) are only counted. */
    private static final int TRACKED = 256;

    private final String channel;

    private int gaps;
    private long firstNanos;
    private long lastNanos;
    private int resubscriptions;
    private final Map<String, Long> lostBySender = new LinkedHashMap<>();
    private long lostUntracked;
    private final Map<String, Long> firstNumberBySender = new LinkedHashMap<>();
    private final Map<String, Long> silentBySender = new LinkedHashMap<>();
    private int unreadable;
    private @Nullable String lastUnreadable;

    GapReport(String channel) {
        this.channel = channel;
    }

    /** @return whether a gap awaits reporting */
    boolean isPending() {
        return gaps > 0;
    }

    /** @return when the first unreported gap was detected; meaningless unless pending */
    long firstNanos() {
        return firstNanos;
    }

    /** @return when the last unreported gap was detected; meaningless unless pending */
    long lastNanos() {
        return lastNanos;
    }

    void resubscribed(long now) {
        record(now);
        resubscriptions++;
    }

    void lost(String sender, long messages, long now) {
        record(now);
        if (!add(lostBySender, sender, messages)) {
            lostUntracked += messages;
        }
    }

    void firstInMidSequence(String sender, long number, long now) {
        record(now);
        if (!lostBySender.containsKey(sender) && firstNumberBySender.size() < TRACKED) {
            firstNumberBySender.put(sender, number);
        }
    }

    void silent(String sender, long now) {
        record(now);
        add(silentBySender, sender, 1);
    }

    void unreadable(String reason, long now) {
        record(now);
        unreadable++;
        lastUnreadable = reason;
    }

    private void record(long now) {
        if (gaps == 0) {
            firstNanos = now;
        }
        gaps++;
        lastNanos = now;
    }

    private static boolean add(Map<String, Long> counts, String sender, long amount) {
        if (counts.size() >= TRACKED && !counts.containsKey(sender)) {
            return false;
        }
        counts.merge(sender, amount, Long::sum);
        return true;
    }

    /**
     * Describes every gap recorded since the last call, and forgets them.
     * @return the line to log, such as {@code "Dropped L1 of every cache after resubscription to
     *         mtc:invalidation, 12 lost message(s) from 2 instances (a, b) (14 gaps in 1503ms, each
     *         dropped L1)"}, or {@code null} when nothing was recorded
     */
    @Nullable String take() {
        if (gaps == 0) {
            return null;
        }
        List<String> causes = new ArrayList<>();
        if (resubscriptions == 1) {
            causes.add("resubscription to " + channel);
        }
        else if (resubscriptions > 1) {
            causes.add(resubscriptions + " resubscriptions to " + channel);
        }
        long lost = lostUntracked + lostBySender.values().stream().mapToLong(Long::longValue).sum();
        if (lost > 0) {
            causes.add((lostBySender.size() == 1 && lostUntracked == 0)
                    ? lost + " lost message(s) from instance " + lostBySender.keySet().iterator().next()
                    : lost + " lost message(s) from " + instances(lostBySender.keySet(), lostUntracked > 0));
        }
        firstNumberBySender.keySet().removeAll(lostBySender.keySet());
        if (firstNumberBySender.size() == 1) {
            Map.Entry<String, Long> only = firstNumberBySender.entrySet().iterator().next();
            causes.add("the first message of instance " + only.getKey() + " is number " + only.getValue());
        }
        else if (!firstNumberBySender.isEmpty()) {
            causes.add("first messages in mid-sequence from " + instances(firstNumberBySender.keySet(), false));
        }
        if (silentBySender.size() == 1) {
            causes.add("instance " + silentBySender.keySet().iterator().next() + " fell silent without saying goodbye");
        }
        else if (!silentBySender.isEmpty()) {
            causes.add(instances(silentBySender.keySet(), false) + " that fell silent without saying goodbye");
        }
        if (unreadable == 1) {
            causes.add("an unreadable message on " + channel + " (" + lastUnreadable + ")");
        }
        else if (unreadable > 1) {
            causes.add(unreadable + " unreadable messages on " + channel + " (the last: " + lastUnreadable + ")");
        }
        StringBuilder line = new StringBuilder("Dropped L1 of every cache after ").append(String.join(", ", causes));
        if (gaps > 1) {
            line.append(" (").append(gaps).append(" gaps in ").append((lastNanos - firstNanos) / 1_000_000)
                    .append("ms, each dropped L1)");
        }
        clear();
        return line.toString();
    }

    /** "instance a", or "3 instances (a, b, c)", naming at most {@link #NAMED}. */
    private static String instances(Iterable<String> senders, boolean more) {
        List<String> all = new ArrayList<>();
        senders.forEach(all::add);
        String named = String.join(", ", all.subList(0, Math.min(NAMED, all.size())));
        if (all.size() > NAMED || more) {
            return (more ? "more than " + all.size() : all.size()) + " instances (" + named + ", …)";
        }
        return (all.size() == 1) ? "instance " + named : all.size() + " instances (" + named + ")";
    }

    private void clear() {
        gaps = 0;
        resubscriptions = 0;
        lostBySender.clear();
        lostUntracked = 0;
        firstNumberBySender.clear();
        silentBySender.clear();
        unreadable = 0;
        lastUnreadable = null;
    }
}
