package io.github.multitiercache.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * Runs many callers at the same moment, for stampede tests: every caller waits on one gate, which
 * opens once all are ready to go.
 */
public final class ConcurrentCalls {

    /** The most a caller may take before the run fails. */
    public static final long TIMEOUT_SECONDS = 20;

    private ConcurrentCalls() {
    }

    /** One caller's work. */
    @FunctionalInterface
    public interface Call {
        /**
         * Does the work.
         * @param index the caller's number, from 0
         * @return what the caller got
         * @throws Exception what the work threw
         */
        @Nullable Object call(int index) throws Exception;
    }

    /**
     * Runs {@code callers} calls at once, each on its own thread.
     * @param callers how many
     * @param call the work of each
     * @return the results, in caller order
     * @throws Exception the first failure, or a timeout after {@value #TIMEOUT_SECONDS} seconds
     */
    public static List<@Nullable Object> run(int callers, Call call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch gate = new CountDownLatch(1);
        try {
            List<Future<@Nullable Object>> futures = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    gate.await();
                    return call.call(index);
                }));
            }
            gate.countDown();
            List<@Nullable Object> results = new ArrayList<>();
            for (Future<@Nullable Object> future : futures) {
                results.add(future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
            return results;
        }
        finally {
            pool.shutdownNow();
        }
    }
}
