package io.github.multitiercache.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.beans.factory.annotation.Qualifier;

/**
 * Qualifies the {@link java.util.concurrent.Executor} bean the multi-tier caches run their
 * background work on, in the manner of Spring Boot's {@code @BatchTaskExecutor}:
 *
 * <pre>{@code
 * @Bean
 * @MultiTierCacheExecutor
 * ExecutorService cacheExecutor() {
 *     return Executors.newCachedThreadPool();
 * }
 * }</pre>
 *
 * <p>The executor runs loaders that may block (loads with a fail-safe soft or hard timeout,
 * refresh-ahead) next to short tasks that must not wait behind them (Caffeine's maintenance handed
 * off by reads, the failure of a Redis command past its deadline, hot-key reviews, the replay of
 * what Redis is owed after an outage, opening the Redis connection). So it must not queue a task
 * while its threads are busy: give it virtual threads or a pool that grows on demand, not a fixed
 * pool with a queue. The application owns it: the cache never shuts it down.
 *
 * <p>Without such a bean the auto-configuration uses an executor of its own, shut down when the
 * context closes: a virtual thread per task when {@code spring.threads.virtual.enabled=true} on
 * Java 21 or later, otherwise a pool of daemon threads named {@code mtc-task-N} that grows on
 * demand and retires threads idle for a minute.
 *
 * <p>Note that, as with any {@code Executor} bean of the application, Spring Boot then no longer
 * auto-configures its {@code applicationTaskExecutor} unless {@code spring.task.execution.mode=force}.
 * The auto-configuration's own executor is not a bean of type {@code Executor}, so it leaves Boot's
 * alone.
 */
@Target({ ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.TYPE,
        ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Qualifier
public @interface MultiTierCacheExecutor {
}
