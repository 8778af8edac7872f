package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.multitiercache.core.TieredCacheContext;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where the caches run their background work: on the application's
 * {@link MultiTierCacheExecutor @MultiTierCacheExecutor} executor, otherwise on an executor of the
 * auto-configuration's own that never queues work behind a blocking loader, leaves Spring Boot's
 * {@code applicationTaskExecutor} in place and is shut down with the context.
 */
class CacheExecutorTests {

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.shared();

    // More than a fork-join pool sized for the machine has workers.
    private static final int BLOCKING_LOADERS = Runtime.getRuntime().availableProcessors() + 2;

    // A hard timeout makes the loader run on the executor, so that the caller can stop waiting.
    private final ApplicationContextRunner contextRunner = redis.contextRunner()
            .withUserConfiguration(CachingConfiguration.class)
            .withPropertyValues("multi-tier-cache.caches.slow.fail-safe.hard-timeout=10s");

    @Test
    void loadsWithATimeoutRunOnTheApplicationsQualifiedExecutor() {
        contextRunner.withUserConfiguration(ApplicationExecutorConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(loaderThread(context).getName()).startsWith("app-cache-");
            assertThat(context.getBean(TieredCacheContext.class).executor())
                    .isSameAs(context.getBean("cacheExecutor"));
        });
    }

    @Test
    void byDefaultLoadsRunOnDaemonThreadsOfTheCacheAndBootKeepsItsTaskExecutor() {
        contextRunner.withConfiguration(AutoConfigurations.of(TaskExecutionAutoConfiguration.class)).run(context -> {
            assertThat(context).hasNotFailed();
            Thread loader = loaderThread(context);
            assertThat(loader.getName()).startsWith(CacheExecution.THREAD_NAME_PREFIX);
            assertThat(loader.isDaemon()).isTrue();
            // The cache's executor is no Executor bean: Boot's stays, and @Async does not pick ours.
            Map<String, Executor> executors = context.getBeansOfType(Executor.class);
            assertThat(executors).containsOnlyKeys("applicationTaskExecutor");
        });
    }

    @Test
    void aBlockingTaskOnTheDefaultExecutorDelaysNoOtherTask() {
        contextRunner.run(context -> {
            Executor executor = context.getBean(TieredCacheContext.class).executor();
            AtomicBoolean released = new AtomicBoolean();
            CountDownLatch started = new CountDownLatch(BLOCKING_LOADERS);
            try {
                for (int i = 0; i < BLOCKING_LOADERS; i++) {
                    executor.execute(() -> {
                        started.countDown();
                        blockUntil(released);
                    });
                }
                assertThat(started.await(5, TimeUnit.SECONDS)).as("every blocking loader runs at once").isTrue();
                CompletableFuture<String> quick = CompletableFuture.supplyAsync(() -> "done", executor);
                assertThat(quick.get(5, TimeUnit.SECONDS)).isEqualTo("done");
            }
            finally {
                released.set(true);
            }
        });
    }

    @Test
    void theDefaultExecutorIsShutDownWhenTheContextCloses() throws Exception {
        AtomicReference<Executor> used = new AtomicReference<>();
        contextRunner.run(context -> {
            Executor executor = context.getBean(TieredCacheContext.class).executor();
            used.set(executor);
            loaderThread(context);   // starts a thread of the executor
        });
        Executor executor = used.get();
        assertThatThrownBy(() -> executor.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThat(executor).isInstanceOf(ThreadPoolExecutor.class);
        assertThat(((ThreadPoolExecutor) executor).awaitTermination(5, TimeUnit.SECONDS))
                .as("its idle threads end").isTrue();
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    void withBootsVirtualThreadsPropertyLoadsRunOnVirtualThreads() {
        contextRunner.withPropertyValues("spring.threads.virtual.enabled=true").run(context -> {
            assertThat(context).hasNotFailed();
            Thread loader = loaderThread(context);
            assertThat(loader.getName()).startsWith(CacheExecution.THREAD_NAME_PREFIX);
            assertThat(Thread.class.getMethod("isVirtual").invoke(loader)).isEqualTo(Boolean.TRUE);
        });
    }

    /** Loads a value with a hard timeout and returns the thread the loader ran on. */
    private static Thread loaderThread(AssertableApplicationContext context) {
        MultiTierCache slow = context.getBean(MultiTierCacheManager.class).getCache("slow");
        assertThat(slow).isNotNull();
        List<Thread> threads = new ArrayList<>(1);
        slow.get("key-" + System.nanoTime(), () -> {
            threads.add(Thread.currentThread());
            return "value";
        });
        assertThat(threads).hasSize(1);
        return threads.get(0);
    }

    /**
     * Blocks the way a loader's socket read does: invisibly to a fork-join pool, which therefore
     * adds no thread to make up for it.
     */
    private static void blockUntil(AtomicBoolean released) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!released.get() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingConfiguration {
    }

    @Configuration(proxyBeanMethods = false)
    static class ApplicationExecutorConfiguration {

        @Bean
        @MultiTierCacheExecutor
        ExecutorService cacheExecutor() {
            AtomicInteger count = new AtomicInteger();
            return Executors.newCachedThreadPool(task -> {
                Thread thread = new Thread(task, "app-cache-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        }

        // Not qualified: the cache leaves it alone.
        @Bean
        ExecutorService otherExecutor() {
            return Executors.newSingleThreadExecutor(task -> new Thread(task, "other-" + task.hashCode()));
        }
    }
}
