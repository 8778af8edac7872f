package io.github.multitiercache.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on {@code 127.0.0.1} in front of one target, for fault-injection tests: clients connect to
 * {@link #port()} instead of the target, and the test makes the link misbehave.
 *
 * <ul>
 *   <li>{@link #blackhole()} silently stops forwarding in both directions: every connection, old and new,
 *       stays open and nothing reaches the other side, as across a network partition that drops packets.
 *       Clients see no error, only silence; the target sees nothing either (new connections are accepted
 *       but not connected to the target until {@link #restore()}, and a side closing its connection is
 *       not passed on).</li>
 *   <li>{@link #restore()} resumes forwarding. <b>Nothing is dropped</b>: bytes sent while black-holed
 *       are held (in the proxy and in the operating system's socket buffers) and delivered in order once
 *       restored, as TCP delivers retransmitted data after a partition heals. A client that gave up
 *       waiting for a reply meanwhile will receive it late on the same connection; closes and resets
 *       that happened meanwhile are passed on too.</li>
 *   <li>{@link #cutConnections()} resets every current connection on both sides at once (the client
 *       sees the connection reset or closed); new connections are still accepted and forwarded.</li>
 * </ul>
 *
 * <p>A connection is made to the target for each accepted client connection (after {@link #restore()} if
 * black-holed); if the target cannot be reached within 5 seconds, the client's connection is reset.
 *
 * <p>The proxy runs on daemon threads: one accepting, two per connection (one per direction). It holds
 * at most {@value #MAX_CONNECTIONS} connections at a time and resets any beyond. {@link #close()} resets
 * every connection, stops accepting and waits (bounded) for its threads to end. The methods are
 * thread-safe.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start();
 *      FaultProxy proxy = FaultProxy.start(redis.host(), redis.port())) {
 *     RedisClient client = RedisClient.create("redis://127.0.0.1:" + proxy.port());
 *     ...
 *     proxy.blackhole();   // commands now time out, the connection stays open
 *     proxy.restore();
 * }
 * }</pre>
 */
public final class FaultProxy implements AutoCloseable {

    /** Most connections held at a time; more are reset as soon as accepted. */
    public static final int MAX_CONNECTIONS = 256;

    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);

    private static final int CONNECT_TIMEOUT_MILLIS = 5000;

    private static final long JOIN_MILLIS = 2000;

    private final String targetHost;

    private final int targetPort;

    private final ServerSocket serverSocket;

    private final Set<Link> links = ConcurrentHashMap.newKeySet();

    private final List<Thread> threads = new ArrayList<>();

    private final AtomicInteger connectionNumbers = new AtomicInteger();

    private final Object lock = new Object();

    private boolean blackholed;

    private volatile boolean closed;

    private FaultProxy(String targetHost, int targetPort, ServerSocket serverSocket) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.serverSocket = serverSocket;
    }

    /**
     * Starts a proxy on {@code 127.0.0.1} on a free port, forwarding to the target.
     *
     * @param targetHost the target's host, normally {@code "127.0.0.1"}
     * @param targetPort the target's port
     * @return the running proxy, forwarding
     */
    public static FaultProxy start(String targetHost, int targetPort) {
        if (targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("No such port: " + targetPort);
        }
        ServerSocket serverSocket;
        try {
            serverSocket = new ServerSocket(0, 50, InetAddress.getByName(RedisServer.HOST));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot listen on " + RedisServer.HOST, e);
        }
        FaultProxy proxy = new FaultProxy(targetHost, targetPort, serverSocket);
        proxy.startThread("accept", proxy::acceptLoop);
        log.debug("Started {}", proxy);
        return proxy;
    }

    /** The address the proxy listens on: always {@code "127.0.0.1"}. */
    public String host() {
        return RedisServer.HOST;
    }

    /** The port clients should connect to instead of the target's. */
    public int port() {
        return serverSocket.getLocalPort();
    }

    /** {@code "redis://127.0.0.1:<port>"}, for a Redis target. */
    public String uri() {
        return "redis://" + RedisServer.HOST + ":" + port();
    }

    /** Stops forwarding in both directions while keeping every connection open, see the class doc. */
    public void blackhole() {
        synchronized (lock) {
            blackholed = true;
        }
        log.debug("{} black-holed", this);
    }

    /** Resumes forwarding; what was held meanwhile is delivered, see the class doc. */
    public void restore() {
        synchronized (lock) {
            blackholed = false;
            lock.notifyAll();
        }
        log.debug("{} restored", this);
    }

    /** Whether the proxy is black-holed. */
    public boolean isBlackholed() {
        synchronized (lock) {
            return blackholed;
        }
    }

    /**
     * Resets every current connection on both sides (a TCP RST, as a failing network device would);
     * connections accepted afterwards are forwarded as usual.
     *
     * @return the number of connections cut
     */
    public int cutConnections() {
        int cut = 0;
        for (Link link : links) {
            if (link.close(true)) {
                cut++;
            }
        }
        log.debug("{} cut {} connections", this, cut);
        return cut;
    }

    /**
     * The number of client connections the proxy currently holds open, including black-holed ones and
     * ones whose client went away while black-holed.
     */
    public int connectionCount() {
        return links.size();
    }

    /** Resets every connection, stops listening and waits up to 2 seconds per thread for its threads. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException e) {
            log.debug("Closing {}: {}", this, e.toString());
        }
        synchronized (lock) {
            lock.notifyAll();
        }
        cutConnections();
        List<Thread> toJoin;
        synchronized (threads) {
            toJoin = new ArrayList<>(threads);
        }
        for (Thread thread : toJoin) {
            try {
                thread.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "FaultProxy[" + RedisServer.HOST + ":" + serverSocket.getLocalPort() + " -> " + targetHost + ":"
                + targetPort + "]";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = serverSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("{} stops accepting: {}", this, e.toString());
                }
                return;
            }
            if (closed || links.size() >= MAX_CONNECTIONS) {
                reset(client);
                continue;
            }
            Link link = new Link(client, connectionNumbers.incrementAndGet());
            links.add(link);
            startThread(link.number + "-up", link::connectAndForward);
        }
    }

    private void startThread(String name, Runnable task) {
        Thread thread = new Thread(task, "mtc-fault-proxy-" + port() + "-" + name);
        thread.setDaemon(true);
        synchronized (threads) {
            threads.removeIf(t -> !t.isAlive());
            threads.add(thread);
        }
        thread.start();
    }

    /** Waits while black-holed; tells whether the link may go on forwarding. */
    private boolean awaitForwarding(Link link) {
        synchronized (lock) {
            while (blackholed && !closed && !link.closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return !closed && !link.closed;
        }
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already closed
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /** One client connection and, once connected, its connection to the target. */
    private final class Link {

        final Socket client;

        final int number;

        volatile @Nullable Socket target;

        volatile boolean closed;

        Link(Socket client, int number) {
            this.client = client;
            this.number = number;
        }

        void connectAndForward() {
            if (!awaitForwarding(this)) {
                close(true);
                return;
            }
            Socket connected = new Socket();
            try {
                connected.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                connected.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                log.debug("{} cannot reach the target: {}", FaultProxy.this, e.toString());
                reset(connected);
                close(true);
                return;
            }
            synchronized (this) {
                if (closed) {
                    reset(connected);
                    return;
                }
                target = connected;
            }
            startThread(number + "-down", () -> forward(connected, client));
            forward(client, connected);
        }

        private void forward(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            boolean abrupt = false;
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int read = in.read(buffer);
                    if (!awaitForwarding(this) || read < 0) {
                        break;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                abrupt = true;
                awaitForwarding(this);
            }
            close(abrupt);
        }

        /** Closes both sockets, resetting them if abrupt; tells whether this call closed the link. */
        boolean close(boolean abrupt) {
            Socket connected;
            synchronized (this) {
                if (closed) {
                    return false;
                }
                closed = true;
                connected = target;
            }
            if (abrupt) {
                reset(client);
                if (connected != null) {
                    reset(connected);
                }
            } else {
                closeQuietly(client);
                if (connected != null) {
                    closeQuietly(connected);
                }
            }
            links.remove(this);
            synchronized (lock) {
                lock.notifyAll();
            }
            return true;
        }

        private void closeQuietly(Socket socket) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }
}
