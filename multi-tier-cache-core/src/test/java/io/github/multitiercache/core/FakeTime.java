package io.github.multitiercache.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * One fake time for the engine's fast tests: the wall clock entries in Redis are stamped with and
 * the monotonic ticker of L1 expiry, lease waits and hot-key windows move together, and only when a
 * test {@linkplain #advance(Duration) advances} them.
 */
final class FakeTime extends Clock implements Ticker {

    private final AtomicLong nanos = new AtomicLong(Duration.ofDays(20_000).toNanos());

    void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
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
