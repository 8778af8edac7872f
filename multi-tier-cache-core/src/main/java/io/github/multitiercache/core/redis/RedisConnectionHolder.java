package io.github.multitiercache.core.redis;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
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
 * callers longer than one command timeout. Once open, Lettuce reconnects the connection itself.
 */
final class RedisConnectionHolder implements AutoCloseable {

    private final LettuceConnectionFactory connectionFactory;
    private final Executor connectExecutor;
    private final Object lock = new Object();
    private volatile @Nullable CompletableFuture<StatefulConnection<byte[], byte[]>> connection;
    private volatile boolean closed;

    RedisConnectionHolder(LettuceConnectionFactory connectionFactory, Executor connectExecutor) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
        this.connectExecutor = Objects.requireNonNull(connectExecutor, "connectExecutor");
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
