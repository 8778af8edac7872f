package io.github.multitiercache.core;

import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.logging.Log;

/**
 * Logs a recurring warning at WARN at most once per interval and at DEBUG otherwise, so that a
 * corrupt hot key or a misbehaving caller cannot flood the log.
 */
final class LogThrottle {

    private static final long INTERVAL_NANOS = 10_000_000_000L;

    private final Log logger;
    private final AtomicLong nextWarnAt = new AtomicLong(Long.MIN_VALUE);

    LogThrottle(Log logger) {
        this.logger = logger;
    }

    void warn(String message) {
        long now = System.nanoTime();
        long next = nextWarnAt.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextWarnAt.compareAndSet(next, now + INTERVAL_NANOS)) {
            logger.warn(message + " (further warnings of this cache are logged at DEBUG for 10s)");
        }
        else if (logger.isDebugEnabled()) {
            logger.debug(message);
        }
    }
}
