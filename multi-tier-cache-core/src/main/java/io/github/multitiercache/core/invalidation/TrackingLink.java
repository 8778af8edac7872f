package io.github.multitiercache.core.invalidation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StatefulRedisConnectionImpl;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.protocol.ProtocolVersion;
import org.jspecify.annotations.Nullable;

/**
 * One tracking connection, to one Redis master: a RESP3 connection with
 * {@code CLIENT TRACKING on BCAST PREFIX <key-prefix>:} on which Redis pushes the name of every key
 * under the prefix that changes, and on which this instance writes its tracking heartbeats (a key
 * under the prefix, so that its push comes back on the same connection, behind the pushes of every
 * change Redis made before it).
 *
 * <p>A link never reconnects by itself: a dropped connection is {@linkplain #isLost() lost} and
 * {@link KeyTracking} opens a new one, because the tracking state of a connection does not survive
 * a reconnection.
 */
final class TrackingLink {

    /** The start of the client name of tracking connections, as {@code CLIENT LIST} shows it. */
    static final String CLIENT_NAME = "mtc-tracking";

    /** What the link tells its owner. */
    interface Events {

        /** Redis named changed keys ({@code null}: every key, after a flush). */
        void changed(TrackingLink link, @Nullable List<String> keys);

        /** The connection dropped. */
        void lost(TrackingLink link);
    }

    /** The server cannot track keys for this connection: it will not be tried again. */
    static final class UnsupportedException extends Exception {

        private static final long serialVersionUID = 1L;

        UnsupportedException(String message) {
            super(message);
        }
    }

    private static final byte[] EMPTY = new byte[0];

    private final String node;
    private final String keyPrefix;
    private final String heartbeatKeyBase;
    private final Events events;
    private final @Nullable RedisURI uri;

    private volatile @Nullable StatefulRedisConnection<byte[], byte[]> connection;
    private volatile boolean lost;
    /** When the newest own heartbeat that came back was sent; trust starts at the connection's opening. */
    volatile long lastHeartbeatBackSentNanos;
    volatile long lastRoundTripNanos;
    /** Whether this link is currently not trusted. */
    volatile boolean degraded;

    /**
     * @param node the node's address, for the log
     * @param keyPrefix the key prefix of the caches, possibly empty
     * @param heartbeatKeyBase the start of this instance's heartbeat keys on this node, to which
     *        the send time is appended
     * @param events told about pushes and the connection's loss
     * @param uri the node of a cluster; {@code null} for the application's standalone or Sentinel client
     */
    TrackingLink(String node, String keyPrefix, String heartbeatKeyBase, Events events, @Nullable RedisURI uri) {
        this.node = node;
        this.keyPrefix = keyPrefix;
        this.heartbeatKeyBase = heartbeatKeyBase;
        this.events = events;
        this.uri = uri;
    }

    @Nullable RedisURI uri() {
        return uri;
    }

    String node() {
        return node;
    }

    String heartbeatKeyBase() {
        return heartbeatKeyBase;
    }

    /** @return whether a connection is open and tracking */
    boolean isOpen() {
        StatefulRedisConnection<byte[], byte[]> current = connection;
        return current != null && !lost && current.isOpen();
    }

    /** @return whether the connection dropped since it was opened */
    boolean isLost() {
        return lost;
    }

    /**
     * Opens the connection and turns tracking on; blocks up to {@code timeout} for the commands.
     * @param connector opens a connection to the node
     * @throws UnsupportedException when the server (or the user's ACL) cannot track for us
     * @throws RuntimeException when the node cannot be reached or does not answer in time
     */
    void open(Supplier<StatefulRedisConnection<byte[], byte[]>> connector, Duration timeout)
            throws UnsupportedException {
        close();
        StatefulRedisConnection<byte[], byte[]> opened = connector.get();
        try {
            ProtocolVersion protocol = (opened instanceof StatefulRedisConnectionImpl<?, ?> impl)
                    ? impl.getConnectionState().getNegotiatedProtocolVersion() : null;
            if (protocol != ProtocolVersion.RESP3) {
                throw new UnsupportedException("the connection to " + node + " speaks " + protocol
                        + ", not RESP3 (a server older than Redis 6, or a client configured for RESP2)");
            }
            opened.addListener((PushListener) this::onPush);
            opened.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                    connectionDropped(opened);
                }
            });
            lost = false;
            connection = opened;
            TrackingArgs tracking = TrackingArgs.Builder.enabled().bcast();
            if (!keyPrefix.isEmpty()) {
                tracking.prefixes(keyPrefix + ":");
            }
            await(opened.async().clientTracking(tracking), timeout);
            // The heartbeats need MULTI, EXEC, SET and DEL on the heartbeat key: refused now, refused always.
            java.util.concurrent.Future<?> probe = sendHeartbeat(0, timeout);
            if (probe != null) {
                await(probe, timeout);
            }
        }
        catch (UnsupportedException | RuntimeException ex) {
            connection = null;
            opened.closeAsync();
            throw ex;
        }
    }

    private void await(java.util.concurrent.Future<?> reply, Duration timeout) throws UnsupportedException {
        try {
            reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
        catch (TimeoutException ex) {
            throw new IllegalStateException(node + " did not answer within " + timeout, ex);
        }
        catch (ExecutionException ex) {
            if (ex.getCause() instanceof RedisCommandExecutionException refused) {
                // ERR unknown command or subcommand, NOPERM: no retry will change that.
                throw new UnsupportedException(node + " refused it: " + refused.getMessage());
            }
            throw new IllegalStateException(String.valueOf(ex.getCause()), ex);
        }
    }

    /**
     * Writes a heartbeat key and deletes it in one transaction ({@code MULTI SET DEL EXEC}), so that
     * Redis pushes its name once while no other client ever sees it; does not wait.
     * @param sentNanos the send time, which the key carries in its name
     * @param ttl the TTL the key is written with (it never outlives the transaction)
     * @return the transaction's reply, or {@code null} when there is no open connection
     */
    java.util.concurrent.@Nullable Future<?> sendHeartbeat(long sentNanos, Duration ttl) {
        StatefulRedisConnection<byte[], byte[]> current = connection;
        if (current == null || lost || !current.isOpen()) {
            return null;
        }
        byte[] key = (heartbeatKeyBase + sentNanos).getBytes(StandardCharsets.UTF_8);
        RedisAsyncCommands<byte[], byte[]> async = current.async();
        // Only the tick thread sends on this connection, so the four commands go out together.
        async.multi();
        async.set(key, EMPTY, SetArgs.Builder.px(Math.max(1, ttl.toMillis())));
        async.del(key);
        return async.exec();
    }

    /** Closes the connection, if any; the link can be opened again. */
    void close() {
        StatefulRedisConnection<byte[], byte[]> current = connection;
        connection = null;
        if (current != null) {
            current.closeAsync();
        }
    }

    private void connectionDropped(StatefulRedisConnection<byte[], byte[]> dropped) {
        if (connection == dropped && !lost) {
            lost = true;
            // Lettuce would reconnect it without tracking: a new connection replaces it.
            dropped.closeAsync();
            events.lost(this);
        }
    }

    private void onPush(PushMessage message) {
        if (!"invalidate".equals(message.getType())) {
            return;
        }
        List<Object> content = message.getContent(TrackingLink::decode);
        Object keys = (content.size() > 1) ? content.get(1) : null;
        if (keys instanceof List<?> list) {
            List<String> names = new ArrayList<>(list.size());
            for (Object key : list) {
                if (key != null) {
                    names.add(key.toString());
                }
            }
            events.changed(this, names);
        }
        else {
            // A null key list: the database was flushed.
            events.changed(this, null);
        }
    }

    private static Object decode(ByteBuffer buffer) {
        return StandardCharsets.UTF_8.decode(buffer).toString();
    }

    @Override
    public String toString() {
        return node;
    }
}
