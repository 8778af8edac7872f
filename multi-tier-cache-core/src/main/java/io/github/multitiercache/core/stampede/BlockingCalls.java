package io.github.multitiercache.core.stampede;

import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;

import org.jspecify.annotations.Nullable;

/**
 * Runs a blocking call (a loader) so that a fork-join pool it runs in stays responsive: on a
 * fork-join worker the call goes through {@link ForkJoinPool#managedBlock}, which lets the pool
 * add a spare thread while it blocks (the common pool has a single worker on a 2-core machine).
 * On any other thread the call runs as it is.
 */
public final class BlockingCalls {

    private BlockingCalls() {
    }

    /**
     * Calls {@code callable}, telling a fork-join pool that it may block.
     * @param callable the call
     * @param <T> its result type
     * @return its result
     * @throws Exception what it threw, or {@link InterruptedException}
     */
    public static <T> @Nullable T call(Callable<T> callable) throws Exception {
        if (!(Thread.currentThread() instanceof ForkJoinWorkerThread)) {
            return callable.call();
        }
        Blocker<T> blocker = new Blocker<>(callable);
        ForkJoinPool.managedBlock(blocker);
        if (blocker.failure != null) {
            throw blocker.failure;
        }
        return blocker.value;
    }

    private static final class Blocker<T> implements ForkJoinPool.ManagedBlocker {

        private final Callable<T> callable;
        private @Nullable T value;
        private @Nullable Exception failure;
        private boolean done;

        Blocker(Callable<T> callable) {
            this.callable = callable;
        }

        @Override
        public boolean block() {
            try {
                value = callable.call();
            }
            catch (Exception ex) {
                failure = ex;
            }
            finally {
                done = true;
            }
            return true;
        }

        @Override
        public boolean isReleasable() {
            return done;
        }
    }
}
