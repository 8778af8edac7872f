package io.github.multitiercache.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs an action after a delay: the engine's one timer, for the retries of what Redis is owed and
 * the soft and hard timeouts of asynchronous loads. Outside tests the delay is real time and the
 * action runs on the caches' executor; the engine's fast tests pass a fake time that runs due
 * actions as the test advances it.
 */
@FunctionalInterface
public interface Delays {

    /**
     * Runs {@code action} once, about {@code nanos} from now.
     * @param nanos the delay; zero or negative runs it as soon as possible
     * @param action what to run
     * @throws RejectedExecutionException when the timer or its executor is shutting down
     */
    void after(long nanos, Runnable action);

    /**
     * @param executor where the actions run
     * @return delays in real time, timed by the JDK's shared delay scheduler
     */
    static Delays on(Executor executor) {
        return (nanos, action) -> CompletableFuture.delayedExecutor(Math.max(0, nanos), TimeUnit.NANOSECONDS, executor)
                .execute(action);
    }
}
