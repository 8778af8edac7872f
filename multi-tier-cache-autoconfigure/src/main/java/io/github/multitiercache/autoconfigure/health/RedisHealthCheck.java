package io.github.multitiercache.autoconfigure.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.ClusterInfo;
import org.springframework.data.redis.connection.RedisClusterConnection;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Asks one Redis, through one {@link RedisConnectionFactory}, whether it answers, for the health
 * contributors, so that no health request waits on Redis longer than the timeout.
 *
 * <p>The question runs on a thread of its own ({@code INFO server}, or {@code CLUSTER INFO} on a
 * cluster), never on the caller's: getting a connection and the command may both block, for as
 * long as Lettuce's command timeout (60 seconds by default) when Redis hangs. A caller waits at
 * most the timeout counted from when the question was sent. At most one question is under way
 * per Redis: a caller that comes while one is pending waits for it, within the same bound, and
 * finds it overdue at once once the bound has passed; so the several contributors of one health
 * request share one question and one wait, and a hung Redis never holds more than one thread.
 * A connection that Lettuce knows to be disconnected is reported without asking.
 *
 * <p>Logs one line when Redis stops answering (WARN, at most once a minute, with the count of
 * failed checks in between) and one when it answers again after such a warning (INFO), instead
 * of a stack trace per health request.
 */
final class RedisHealthCheck {

    private static final Log logger = LogFactory.getLog(RedisHealthCheck.class);

    private static final String CLUSTER_STATE = "cluster_state";

    private static final long WARNING_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final RedisConnectionFactory connectionFactory;
    private final Executor executor;
    private final long timeoutNanos;
    private final LongSupplier nanoClock;
    private final Object lock = new Object();
    private @Nullable Question question;
    // Guarded by lock: the log state.
    private boolean failing;
    private long failuresSinceWarning;
    private long lastWarningNanos;
    private boolean warnedOnce;
    private boolean warnedThisRun;

    RedisHealthCheck(RedisConnectionFactory connectionFactory, Executor executor, Duration timeout,
            LongSupplier nanoClock) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.timeoutNanos = timeout.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * Whether Redis answers, waiting at most the timeout from when the pending question, if any,
     * was sent. A question sent less than the timeout ago is answered from, even when done, so
     * that the contributors of one health request share it: an answer is at most one timeout old.
     * @return the answer, never {@code null}
     */
    Result check() {
        Question current;
        long now = nanoClock.getAsLong();
        synchronized (lock) {
            current = question;
            if (current == null || (current.reply.isDone() && now - current.sentNanos >= timeoutNanos)) {
                current = ask(now);
                question = current;
            }
        }
        Result result = await(current, now);
        record(result);
        return result;
    }

    private Question ask(long now) {
        CompletableFuture<Result> reply;
        try {
            reply = CompletableFuture.supplyAsync(this::ask, executor);
        }
        catch (RejectedExecutionException ex) {
            reply = CompletableFuture.completedFuture(Result.failed("the application is stopping"));
        }
        return new Question(reply, now);
    }

    private Result await(Question current, long now) {
        long remaining = current.sentNanos + timeoutNanos - now;
        try {
            return (remaining > 0) ? current.reply.get(remaining, TimeUnit.NANOSECONDS) : current.reply.getNow(
                    Result.failed("no answer within " + wholeMillis(timeoutNanos) + "ms (asked "
                            + wholeMillis(now - current.sentNanos) + "ms ago, still waiting)"));
        }
        catch (TimeoutException ex) {
            return Result.failed("no answer within " + wholeMillis(timeoutNanos) + "ms");
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Result.failed("interrupted");
        }
        catch (ExecutionException ex) {
            return Result.failed(describe((ex.getCause() != null) ? ex.getCause() : ex));
        }
    }

    /** Runs on the executor: may block as long as Lettuce lets it. */
    private Result ask() {
        try (RedisConnection connection = connectionFactory.getConnection()) {
            if (isDisconnected(connection.getNativeConnection())) {
                return Result.failed("not connected");
            }
            long start = nanoClock.getAsLong();
            Map<String, Object> details = new LinkedHashMap<>();
            try {
                describeServer(connection, details);
            }
            catch (RuntimeException ex) {
                if (!isErrorReply(ex)) {
                    throw ex;
                }
                // Refused (an ACL without INFO): Redis answered all the same.
                details.put("info", describe(ex));
            }
            if ("fail".equals(details.remove(CLUSTER_STATE))) {
                return new Result(false, -1, "cluster state is fail", details);
            }
            return new Result(true, nanoClock.getAsLong() - start, null, details);
        }
        catch (RuntimeException ex) {
            return Result.failed(describe(ex));
        }
    }

    /** Boot's details: the version, or the cluster's size and slots (and its state when it fails). */
    private static void describeServer(RedisConnection connection, Map<String, Object> details) {
        if (connection instanceof RedisClusterConnection cluster) {
            ClusterInfo info = cluster.clusterGetClusterInfo();
            putIfKnown(details, "cluster_size", info.getClusterSize());
            putIfKnown(details, "slots_up", info.getSlotsOk());
            putIfKnown(details, "slots_fail", info.getSlotsFail());
            if ("fail".equalsIgnoreCase(info.getState())) {
                details.put(CLUSTER_STATE, "fail");
            }
        }
        else {
            Properties info = connection.serverCommands().info("server");
            details.put("version", (info != null) ? info.getProperty("redis_version", "unknown") : "unknown");
        }
    }

    /** An error reply, such as {@code NOPERM}: Redis is there and answers. */
    private static boolean isErrorReply(Throwable error) {
        for (Throwable cause = error; cause != null; cause = (cause.getCause() == cause) ? null : cause.getCause()) {
            if (cause instanceof RedisCommandExecutionException) {
                return true;
            }
        }
        return false;
    }

    private static void putIfKnown(Map<String, Object> details, String name, @Nullable Long value) {
        if (value != null) {
            details.put(name, value);
        }
    }

    /**
     * A disconnected Lettuce connection queues commands until it reconnects: no point in asking.
     * Lettuce deprecates reaching the connection from its commands object but offers no other way
     * from a connection factory's native connection.
     */
    @SuppressWarnings("deprecation")
    private static boolean isDisconnected(@Nullable Object nativeConnection) {
        if (nativeConnection instanceof RedisAsyncCommands<?, ?> standalone) {
            return !standalone.getStatefulConnection().isOpen();
        }
        if (nativeConnection instanceof RedisAdvancedClusterAsyncCommands<?, ?> cluster) {
            return !cluster.getStatefulConnection().isOpen();
        }
        return false;
    }

    private void record(Result result) {
        synchronized (lock) {
            if (result.reachable()) {
                if (failing && warnedThisRun) {
                    logger.info("Redis answers the health check again" + ((failuresSinceWarning > 0)
                            ? " (after " + failuresSinceWarning + " more failed check(s))" : ""));
                    failuresSinceWarning = 0;
                }
                failing = false;
                return;
            }
            long now = nanoClock.getAsLong();
            if (!failing) {
                failing = true;
                warnedThisRun = false;
            }
            if (!warnedOnce || now - lastWarningNanos >= WARNING_INTERVAL_NANOS) {
                logger.warn("Redis does not answer the health check: " + result.error()
                        + ((failuresSinceWarning > 0) ? " (" + failuresSinceWarning + " more failed check(s) since the"
                                + " last warning)" : "")
                        + "; logged at most once a minute");
                warnedOnce = true;
                warnedThisRun = true;
                lastWarningNanos = now;
                failuresSinceWarning = 0;
            }
            else {
                failuresSinceWarning++;
                if (logger.isDebugEnabled()) {
                    logger.debug("Redis does not answer the health check: " + result.error());
                }
            }
        }
    }

    /** The innermost message, with its exception's simple name: one line, no stack trace. */
    static String describe(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + ((message != null) ? ": " + message : "");
    }

    private static long wholeMillis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    static double millis(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }

    private record Question(CompletableFuture<Result> reply, long sentNanos) {
    }

    /**
     * Whether Redis answered.
     * @param reachable whether it answered in time
     * @param latencyNanos how long the command took, -1 when it did not answer
     * @param error why it counts as unreachable, {@code null} when reachable
     * @param server what Redis said about itself: {@code version}, or the cluster's size and slots
     */
    record Result(boolean reachable, long latencyNanos, @Nullable String error, Map<String, Object> server) {

        static Result failed(String error) {
            return new Result(false, -1, error, Map.of());
        }

        /** The details every contributor shows about Redis. */
        Map<String, Object> details() {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("reachable", reachable);
            if (reachable) {
                details.put("latencyMillis", millis(latencyNanos));
            }
            details.putAll(server);
            if (error != null) {
                details.put("error", error);
            }
            return details;
        }
    }
}
