package io.github.multitiercache.core.redis;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Owns the cache's own Lettuce connection, opened from the application's
 * {@link LettuceConnectionFactory} client so that standalone, Sentinel and Cluster settings,
 * credentials and TLS come from one place.
 *
 * <p>A dedicated connection keeps cache traffic from queueing behind the application's own
 * commands and lets every call carry its own short timeout. Connecting happens on the given
 * executor, never on a caller's thread, so a Redis that does not answer at startup cannot block
 * callers longer than one command timeout.
 *
 * <p>Reconnecting: Lettuce reconnects a lost connection itself, but with the client's backoff,
 * which by default doubles up to 30 seconds, so after an outage of ten seconds the first attempt
 * that can succeed comes six seconds or more after Redis is back. Once a caller has found the
 * connection down ({@link #reconnectSoon()}), this holder therefore also opens a fresh connection
 * itself, at most {@value #MAX_RECONNECT_DELAY_MILLIS} ms apart, and swaps it in (closing the old
 * one, which stops Lettuce's attempts) as soon as one succeeds, unless Lettuce got there first.
 * The application's own connections, and the client's settings, are left alone.
 */
final class RedisConnectionHolder implements AutoCloseable {

    /** The longest wait between two of this holder's reconnect attempts while Redis is away. */
    static final long MAX_RECONNECT_DELAY_MILLIS = 1_000;

    private static final long FIRST_RECONNECT_DELAY_MILLIS = 100;

    private static final Log logger = LogFactory.getLog(RedisConnectionHolder.class);

    private final LettuceConnectionFactory connectionFactory;
    private final Executor connectExecutor;
    private final Runnable onReconnected;
    private final Object lock = new Object();
    private final AtomicBoolean reconnecting = new AtomicBoolean();
    private volatile @Nullable CompletableFuture<StatefulConnection<byte[], byte[]>> connection;
    private volatile boolean closed;

    /**
     * @param connectionFactory whose client opens the connections
     * @param connectExecutor where connections are opened
     * @param onReconnected told, on the connect executor, when the connection is open again after
     *        {@link #reconnectSoon()}
     */
    RedisConnectionHolder(LettuceConnectionFactory connectionFactory, Executor connectExecutor,
            Runnable onReconnected) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
        this.connectExecutor = Objects.requireNonNull(connectExecutor, "connectExecutor");
        this.onReconnected = Objects.requireNonNull(onReconnected, "onReconnected");
    }

    /**
     * The connection being opened or open; a failed or closed connection is replaced by a new
     * attempt.
     */
    CompletableFuture<StatefulConnection<byte[], byte[]>> connection() {
        CompletableFuture<StatefulConnection<byte[], byte[]>> current = connection;
        if (current != null && isUsable(current)) {
            return current;
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("The Redis tier is closed");
            }
            current = connection;
            if (current == null || !isUsable(current)) {
                current = CompletableFuture.supplyAsync(this::connect, connectExecutor);
                connection = current;
            }
            return current;
        }
    }

    /**
     * Tells the holder that a caller found the connection down: unless attempts are under way
     * already, starts reconnecting in the background, first at once, then after 100, 200, 400,
     * 800 ms and every second (each delay shortened by up to half at random, so that a fleet
     * does not reconnect in step), until a fresh connection opens or Lettuce has reconnected the
     * old one. Never blocks.
     */
    void reconnectSoon() {
        if (!closed && reconnecting.compareAndSet(false, true)) {
            scheduleReconnect(0);
        }
    }

    private void scheduleReconnect(int attempt) {
        long delay = 0;
        if (attempt > 0) {
            long full = Math.min(MAX_RECONNECT_DELAY_MILLIS, FIRST_RECONNECT_DELAY_MILLIS << Math.min(attempt - 1, 10));
            delay = full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1);
        }
        Executor executor = (delay == 0) ? connectExecutor
                : CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, connectExecutor);
        try {
            executor.execute(() -> reconnect(attempt));
        }
        catch (RuntimeException ex) {
            // The executor is shut down: the application is stopping.
            reconnecting.set(false);
        }
    }

    private void reconnect(int attempt) {
        if (closed) {
            reconnecting.set(false);
            return;
        }
        CompletableFuture<StatefulConnection<byte[], byte[]>> current = connection;
        if (current != null && !current.isDone()) {
            // A caller's first connect is under way: look again after it.
            scheduleReconnect(attempt + 1);
            return;
        }
        StatefulConnection<byte[], byte[]> old = (current != null && !current.isCompletedExceptionally())
                ? current.join() : null;
        if (old != null && old.isOpen()) {
            reconnected(attempt, "Lettuce reconnected");
            return;
        }
        StatefulConnection<byte[], byte[]> fresh;
        try {
            fresh = connect();
        }
        catch (RuntimeException ex) {
            if (logger.isDebugEnabled()) {
                logger.debug("Reconnect attempt " + (attempt + 1) + " to Redis failed: " + ex);
            }
            scheduleReconnect(attempt + 1);
            return;
        }
        synchronized (lock) {
            if (closed) {
                fresh.closeAsync();
                reconnecting.set(false);
                return;
            }
            if (connection != current) {
                // A caller replaced a connection that had failed for good: look again at its own.
                fresh.closeAsync();
                scheduleReconnect(attempt + 1);
                return;
            }
            connection = CompletableFuture.completedFuture(fresh);
        }
        if (old != null) {
            // Closing stops Lettuce's own attempts for it.
            old.closeAsync();
        }
        reconnected(attempt, "opened a new connection");
    }

    private void reconnected(int attempt, String how) {
        reconnecting.set(false);
        if (logger.isDebugEnabled()) {
            logger.debug("Redis connection open again after " + (attempt + 1) + " attempt(s): " + how);
        }
        onReconnected.run();
    }

    boolean isCluster() {
        return connectionFactory.isClusterAware();
    }

    @SuppressWarnings("unchecked")
    static RedisClusterAsyncCommands<byte[], byte[]> async(StatefulConnection<byte[], byte[]> connection) {
        if (connection instanceof StatefulRedisClusterConnection<?, ?> cluster) {
            return (RedisClusterAsyncCommands<byte[], byte[]>) cluster.async();
        }
        return ((StatefulRedisConnection<byte[], byte[]>) connection).async();
    }

    private static boolean isUsable(CompletableFuture<StatefulConnection<byte[], byte[]>> future) {
        if (!future.isDone()) {
            return true;
        }
        if (future.isCompletedExceptionally()) {
            return false;
        }
        StatefulConnection<byte[], byte[]> connection = future.join();
        // A disconnected connection is being reconnected by Lettuce and must be kept (replacing it
        // would leak it); only one that will never reconnect is replaced, after closing it.
        if (connection.isOpen() || connection.getOptions().isAutoReconnect()) {
            return true;
        }
        connection.closeAsync();
        return false;
    }

    private StatefulConnection<byte[], byte[]> connect() {
        AbstractRedisClient client = connectionFactory.getRequiredNativeClient();
        if (client instanceof RedisClusterClient clusterClient) {
            return clusterClient.connect(ByteArrayCodec.INSTANCE);
        }
        if (client instanceof RedisClient redisClient) {
            StatefulRedisConnection<byte[], byte[]> connection = redisClient.connect(ByteArrayCodec.INSTANCE);
            int database = connectionFactory.getDatabase();
            if (database != 0) {
                // Lettuce re-selects the database after a reconnect.
                connection.sync().select(database);
            }
            return connection;
        }
        throw new IllegalStateException("Unsupported Lettuce client " + client.getClass().getName());
    }

    @Override
    public void close() {
        CompletableFuture<StatefulConnection<byte[], byte[]>> current;
        synchronized (lock) {
            closed = true;
            current = connection;
            connection = null;
        }
        if (current != null) {
            // The client may already be shut down (its factory stops first), which closed the connection.
            current.thenAccept(connection -> {
                if (connection.isOpen()) {
                    connection.closeAsync();
                }
            });
        }
    }
}
