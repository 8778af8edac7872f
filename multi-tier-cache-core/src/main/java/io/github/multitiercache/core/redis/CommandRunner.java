package io.github.multitiercache.core.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * How the {@link RedisTier} runs each command: through its {@link CircuitBreaker}, on the cache's
 * own connection, bounded by the command timeout, with every failure counted and logged (the first
 * of a run at WARN, the rest at DEBUG) and turned into {@link #FAILED} instead of an exception.
 * Error replies from Redis (a wrong key type, OOM, NOPERM) are logged at most once per ten seconds
 * and do not trip the breaker, since they say nothing about Redis being reachable.
 */
final class CommandRunner {

    // The category of the tier whose commands these are.
    private static final Log logger = LogFactory.getLog(RedisTier.class);
    /** The outcome of a command that failed, timed out, or was refused by the breaker. */
    static final Object FAILED = new Object();
    /** The outcome of a write sent from an I/O thread without waiting for its reply. */
    static final Object SENT = new Object();
    private static final long REJECTION_WARNING_INTERVAL_NANOS = 10_000_000_000L;

    private final RedisConnectionHolder connections;
    private final CircuitBreaker breaker;
    private final long timeoutNanos;
    private final Executor connectExecutor;
    private final AtomicBoolean failing = new AtomicBoolean();
    // Error replies (OOM under noeviction, NOPERM from an ACL) can come with every call: one WARN per
    // interval, DEBUG for the others.
    private final AtomicLong nextRejectionWarningNanos = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder rejectionsSinceWarning = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder rejected = new LongAdder();

    CommandRunner(RedisConnectionHolder connections, CircuitBreaker breaker, long timeoutNanos,
            Executor connectExecutor) {
        this.connections = connections;
        this.breaker = breaker;
        this.timeoutNanos = timeoutNanos;
        this.connectExecutor = connectExecutor;
    }

    /** @return failures (including timeouts), timeouts, and calls refused by the open breaker */
    RedisTier.Stats stats() {
        return new RedisTier.Stats(failures.sum(), timeouts.sum(), rejected.sum());
    }

    /**
     * Runs one command, waiting at most the command timeout. On an I/O event-loop thread (a
     * future completed by Lettuce or Reactor Netty) waiting would block the very thread that
     * delivers the reply, so there a write is sent without waiting ({@code SENT}) and a read
     * reports {@code FAILED} without counting against Redis.
     */
    @Nullable Object execute(String operation, boolean write,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, Future<?>> command) {
        if (Thread.currentThread() instanceof FastThreadLocalThread) {
            return write ? sendWithoutWaiting(operation, command) : FAILED;
        }
        if (!breaker.tryAcquire()) {
            rejected.increment();
            return FAILED;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        Future<?> future = null;
        try {
            CompletableFuture<StatefulConnection<byte[], byte[]>> connecting = connections.connection();
            StatefulConnection<byte[], byte[]> connection = connecting.get(timeoutNanos, TimeUnit.NANOSECONDS);
            if (!connection.isOpen()) {
                // Disconnected: Lettuce is reconnecting. Fail now instead of queueing until the timeout.
                failed(operation, new RedisConnectionException("Not connected to Redis"));
                return FAILED;
            }
            future = command.apply(RedisConnectionHolder.async(connection));
            Object result = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            succeeded();
            return result;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            breaker.onFailure();
            return FAILED;
        }
        catch (TimeoutException ex) {
            if (future != null) {
                future.cancel(false);
            }
            failed(operation, ex);
            return FAILED;
        }
        catch (ExecutionException ex) {
            failed(operation, ex.getCause() != null ? ex.getCause() : ex);
            return FAILED;
        }
        catch (RuntimeException ex) {
            failed(operation, ex);
            return FAILED;
        }
    }

    private @Nullable Object sendWithoutWaiting(String operation,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, Future<?>> command) {
        // The outcome if it is already known (a refusal or an instant reply), SENT otherwise.
        return executeAsync(operation, command).getNow(SENT);
    }

    CompletableFuture<@Nullable Object> executeAsync(String operation,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, Future<?>> command) {
        if (!breaker.tryAcquire()) {
            rejected.increment();
            return CompletableFuture.completedFuture(FAILED);
        }
        try {
            CompletableFuture<?> reply = connections.connection().thenCompose(connection -> connection.isOpen()
                    ? (CompletionStage<?>) command.apply(RedisConnectionHolder.async(connection))
                    // Disconnected: fail now instead of queueing until the deadline.
                    : CompletableFuture.failedFuture(new RedisConnectionException("Not connected to Redis")));
            Timeout deadline = Deadlines.after(timeoutNanos, () -> expire(reply));
            return reply.handle((result, error) -> {
                deadline.cancel();
                if (error == null) {
                    succeeded();
                    return result;
                }
                failed(operation, unwrap(error));
                return FAILED;
            });
        }
        catch (RuntimeException ex) {
            failed(operation, ex);
            return CompletableFuture.completedFuture(FAILED);
        }
    }

    /**
     * Fails a command that outlived the command timeout. Its dependents run on the connect
     * executor, not on the timer's thread, which must stay free to expire the others.
     */
    private void expire(CompletableFuture<?> reply) {
        if (reply.isDone()) {
            return;
        }
        Runnable fail = () -> reply.completeExceptionally(new TimeoutException("Redis command timed out after "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + "ms"));
        try {
            connectExecutor.execute(fail);
        }
        catch (RejectedExecutionException ex) {
            fail.run();
        }
    }

    /**
     * The deadlines of asynchronous commands, on one timer wheel for the JVM with a 10 ms tick. A
     * command adds an entry to a queue and its reply cancels it: unlike
     * {@code CompletableFuture.orTimeout}, which puts every command into the JDK's delay queue and
     * may wake its thread each time, this costs no thread hand-off per command, at the price of
     * firing up to one tick late.
     */
    private static final class Deadlines {

        private static final HashedWheelTimer TIMER = new HashedWheelTimer(task -> {
            Thread thread = new Thread(task, "mtc-redis-deadlines");
            thread.setDaemon(true);
            return thread;
        }, 10, TimeUnit.MILLISECONDS, 128, false);

        private Deadlines() {
        }

        static Timeout after(long nanos, Runnable onExpiry) {
            return TIMER.newTimeout(timeout -> onExpiry.run(), nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void succeeded() {
        breaker.onSuccess();
        if (failing.get() && failing.compareAndSet(true, false)) {
            logger.info("Redis answers again");
        }
    }

    private void failed(String operation, Throwable error) {
        if (error instanceof RedisCommandExecutionException) {
            // An error reply: Redis is reachable, the command was wrong for the data.
            breaker.onSuccess();
            warnRejected(operation, error);
            return;
        }
        if (error instanceof RedisConnectionException) {
            // Not connected, or connecting failed: reconnect on our schedule, not only on Lettuce's.
            connections.reconnectSoon();
        }
        failures.increment();
        if (error instanceof TimeoutException || error instanceof RedisCommandTimeoutException) {
            timeouts.increment();
        }
        breaker.onFailure();
        if (failing.compareAndSet(false, true)) {
            logger.warn("Redis " + operation + " failed; serving from L1 and the loader until it recovers: " + error);
        }
        else if (logger.isDebugEnabled()) {
            logger.debug("Redis " + operation + " failed: " + error);
        }
    }

    private void warnRejected(String operation, Throwable error) {
        long now = System.nanoTime();
        long next = nextRejectionWarningNanos.get();
        if ((next == Long.MIN_VALUE || now - next >= 0)
                && nextRejectionWarningNanos.compareAndSet(next, now + REJECTION_WARNING_INTERVAL_NANOS)) {
            long more = rejectionsSinceWarning.sumThenReset();
            logger.warn("Redis rejected " + operation + ": " + error.getMessage()
                    + ((more > 0) ? " (and " + more + " more rejections since the last warning)" : "")
                    + "; further rejections are logged at DEBUG for 10s");
        }
        else {
            rejectionsSinceWarning.increment();
            if (logger.isDebugEnabled()) {
                logger.debug("Redis rejected " + operation + ": " + error.getMessage());
            }
        }
    }

    static Throwable unwrap(Throwable error) {
        return (error instanceof CompletionException && error.getCause() != null) ? error.getCause() : error;
    }
}
