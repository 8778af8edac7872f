package io.github.multitiercache.core.stampede;

import java.time.Duration;

/**
 * A caller waited longer than allowed for a value: for another instance's load
 * ({@code stampede.on-timeout = FAIL}) or for its own ({@code fail-safe.hard-timeout}). Surfaces as
 * the cause of Spring's {@code Cache.ValueRetrievalException}.
 */
public final class LoadWaitTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param what what was waited for, for the message
     * @param waited how long
     */
    public LoadWaitTimeoutException(String what, Duration waited) {
        super("Gave up waiting for " + what + " after " + waited.toMillis() + "ms");
    }
}
