package io.github.multitiercache.sample;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every {@link ProductRepository} does around its own work: counts the reads and waits
 * {@code sample.repository.delay} on each call, like a slow remote database would. Thread-safe.
 */
final class RepositoryCalls {

    private final AtomicLong findById = new AtomicLong();
    private final AtomicLong findAllById = new AtomicLong();
    private final AtomicLong findAllByIdKeys = new AtomicLong();
    private final AtomicLong search = new AtomicLong();
    private final AtomicLong stock = new AtomicLong();
    private final AtomicLong featured = new AtomicLong();
    private final Duration delay;

    RepositoryCalls(Duration delay) {
        this.delay = delay;
    }

    void findById() {
        findById.incrementAndGet();
        simulateLatency();
    }

    void findAllById(int keys) {
        findAllById.incrementAndGet();
        findAllByIdKeys.addAndGet(keys);
        simulateLatency();
    }

    void search() {
        search.incrementAndGet();
        simulateLatency();
    }

    void stock() {
        stock.incrementAndGet();
        simulateLatency();
    }

    void featured() {
        featured.incrementAndGet();
        simulateLatency();
    }

    /** A write: waits, counts nothing. */
    void write() {
        simulateLatency();
    }

    LoaderCalls counts() {
        return new LoaderCalls(findById.get(), findAllById.get(), findAllByIdKeys.get(), search.get(), stock.get(),
                featured.get());
    }

    private void simulateLatency() {
        if (delay.isZero() || delay.isNegative()) {
            return;
        }
        try {
            Thread.sleep(delay.toMillis());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while reading the products", ex);
        }
    }
}
