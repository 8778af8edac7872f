package io.github.multitiercache.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * One fake time for the engine's fast tests: the wall clock entries in Redis are stamped with and
 * the monotonic ticker of L1 expiry, lease waits and hot-key windows move together, and only when a
 * test {@linkplain #advance(Duration) advances} them. It is the engine's timer too: a delayed action
 * runs, on the advancing thread, when time passes its due time.
 */
final class FakeTime extends Clock implements Ticker, Delays {

    private record Due(long atNanos, long order, Runnable action) {
    }

    private final AtomicLong nanos = new AtomicLong(Duration.ofDays(20_000).toNanos());
    private final PriorityQueue<Due> due = new PriorityQueue<>((a, b) -> (a.atNanos() != b.atNanos())
            ? Long.compare(a.atNanos(), b.atNanos()) : Long.compare(a.order(), b.order()));
    private long scheduled;

    /** Moves time forward, running every delayed action that falls due on the way, in due order. */
    void advance(Duration duration) {
        long target = nanos.get() + duration.toNanos();
        while (true) {
            Due next;
            synchronized (due) {
                next = due.peek();
                if (next == null || next.atNanos() > target) {
                    break;
                }
                due.poll();
            }
            nanos.set(Math.max(nanos.get(), next.atNanos()));
            next.action().run();
        }
        nanos.set(target);
    }

    @Override
    public void after(long delayNanos, Runnable action) {
        synchronized (due) {
            due.add(new Due(nanos.get() + Math.max(0, delayNanos), scheduled++, action));
        }
    }

    @Override
    public long read() {
        return nanos.get();
    }

    @Override
    public long millis() {
        return nanos.get() / 1_000_000;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a fake time has one zone");
    }
}
