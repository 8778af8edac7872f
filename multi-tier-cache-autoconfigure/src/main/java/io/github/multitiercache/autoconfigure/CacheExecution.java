package io.github.multitiercache.autoconfigure;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.thread.Threading;
import org.springframework.core.env.Environment;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;

/**
 * The executor the caches and the Redis tier run their background work on, and whether the
 * auto-configuration owns it (and shuts it down when the context closes) or the application does
 * (a {@link MultiTierCacheExecutor @MultiTierCacheExecutor} bean).
 *
 * <p>Deliberately not itself an {@link Executor}: an {@code Executor} bean would make Spring Boot
 * back off from its {@code applicationTaskExecutor} and would be picked up by {@code @Async}.
 *
 * <p>The default never queues a task behind a running one, so a loader that blocks on it cannot
 * delay the short tasks that share it (see {@link MultiTierCacheExecutor}).
 */
final class CacheExecution implements DisposableBean {

    /** The prefix of the default executor's thread names. */
    static final String THREAD_NAME_PREFIX = "mtc-task-";

    // Idle threads of the platform pool retire after this; a burst of slow loads leaves no residue.
    private static final long KEEP_ALIVE_SECONDS = 60;

    private final Executor executor;

    private final @Nullable AutoCloseable owned;

    private CacheExecution(Executor executor, @Nullable AutoCloseable owned) {
        this.executor = executor;
        this.owned = owned;
    }

    /**
     * The application's executor, which it keeps and shuts down itself.
     * @param executor the executor
     * @return the execution
     */
    static CacheExecution of(Executor executor) {
        return new CacheExecution(Objects.requireNonNull(executor, "executor"), null);
    }

    /**
     * An executor of the auto-configuration's own: virtual threads when Spring Boot's
     * {@code spring.threads.virtual.enabled} is on and the runtime has them, otherwise a pool of
     * daemon platform threads that grows on demand.
     * @param environment where Boot's threading property is read
     * @return the execution, which shuts its executor down on {@link #destroy()}
     */
    static CacheExecution owned(Environment environment) {
        if (Threading.VIRTUAL.isActive(environment)) {
            SimpleAsyncTaskExecutor virtual = new SimpleAsyncTaskExecutor(THREAD_NAME_PREFIX);
            virtual.setVirtualThreads(true);
            return new CacheExecution(virtual, virtual);
        }
        CustomizableThreadFactory threads = new CustomizableThreadFactory(THREAD_NAME_PREFIX);
        threads.setDaemon(true);
        // No queue and no core threads: a task runs at once on an idle thread or a new one, never
        // behind a loader that blocks.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                new SynchronousQueue<>(), threads);
        return new CacheExecution(pool, pool::shutdown);
    }

    /**
     * The executor to hand to the caches and the Redis tier.
     * @return the executor
     */
    Executor executor() {
        return executor;
    }

    /**
     * Whether the auto-configuration created the executor and shuts it down.
     * @return {@code true} for the default executor
     */
    boolean isOwned() {
        return owned != null;
    }

    /**
     * Shuts an owned executor down: it refuses new tasks ({@code RejectedExecutionException},
     * which the engine handles) and its idle threads end; running tasks, on daemon threads, finish
     * on their own. Runs after the beans that use the executor are destroyed. An application's
     * executor is left alone.
     */
    @Override
    public void destroy() throws Exception {
        if (owned != null) {
            owned.close();
        }
    }
}
