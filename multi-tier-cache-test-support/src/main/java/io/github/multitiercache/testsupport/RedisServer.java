package io.github.multitiercache.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real {@code redis-server} process listening on {@code 127.0.0.1} on a free port, for tests.
 *
 * <p>{@link #start(String...)} runs the executable found by {@link RedisBinary#locate()} with
 * <pre>
 * --port N --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir &lt;temporary directory&gt;
 * </pre>
 * followed by the caller's extra arguments (which therefore override these), and returns once the server
 * answers {@code PING}. The port is never {@code 6379} and is picked below the kernel's ephemeral port
 * range where possible, so that an outgoing connection cannot take it while the server is down between
 * {@link #stop()} and {@link #restart()}. Nothing is persisted: a restarted server starts empty.
 *
 * <p>The process's standard output and error go to {@link #logFile()} inside the temporary directory;
 * failures to start include the tail of that file in their message. {@link #close()} stops the process and
 * deletes the directory. A JVM shutdown hook kills ({@code SIGKILL}) every server of this class that is
 * still running when the JVM exits and deletes its directory, so a test that fails without closing its
 * server leaves nothing behind (a JVM that is itself killed with {@code SIGKILL} cannot do that).
 *
 * <p>The administrative methods ({@link #command(String...)}, {@link #flushAll()}, {@link #info(String)},
 * {@link #clientKill(String)}) open a short-lived plain RESP2 connection per call, bounded by a
 * {@value #COMMAND_TIMEOUT_SECONDS}-second timeout, and never go through the client under test.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {
 *     RedisClient client = RedisClient.create(redis.uri());
 *     ...
 *     redis.kill();       // crash
 *     redis.restart();    // same port, empty data set
 * }
 * }</pre>
 * Test classes that need no isolation can share {@link #shared()}. The instance methods are thread-safe.
 */
public final class RedisServer implements AutoCloseable {

    /** The only address the servers listen on. */
    public static final String HOST = "127.0.0.1";

    /** Bound, in seconds, of every administrative command. */
    public static final int COMMAND_TIMEOUT_SECONDS = 5;

    private static final Logger log = LoggerFactory.getLogger(RedisServer.class);

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(COMMAND_TIMEOUT_SECONDS);

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private static final int CLUSTER_BUS_PORT_OFFSET = 10000;

    private static final int MAX_PORT_ATTEMPTS = 20;

    private static final int LOG_TAIL_BYTES = 4096;

    private static final String BIND_CONFLICT = "Address already in use";

    /** Ports (and cluster bus ports) of servers of this JVM that are not closed yet. */
    private static final Set<Integer> RESERVED_PORTS = ConcurrentHashMap.newKeySet();

    private static final Set<RedisServer> LIVE = ConcurrentHashMap.newKeySet();

    private static boolean shutdownHookRegistered;

    private static @Nullable RedisServer shared;

    private final Path binary;

    private final int port;

    private final boolean reservesBusPort;

    private final List<String> arguments;

    private final Path directory;

    private final Path logFile;

    private final boolean isShared;

    private volatile Process process;

    private volatile boolean paused;

    private volatile boolean closed;

    private RedisServer(Path binary, int port, boolean reservesBusPort, List<String> arguments, Path directory,
            Path logFile, Process process, boolean isShared) {
        this.binary = binary;
        this.port = port;
        this.reservesBusPort = reservesBusPort;
        this.arguments = arguments;
        this.directory = directory;
        this.logFile = logFile;
        this.process = process;
        this.isShared = isShared;
    }

    /**
     * Starts a server with the {@link RedisBinary#locate() located} executable.
     *
     * @param extraConfigArgs more {@code redis-server} command-line arguments, one word per element, e.g.
     *        {@code "--maxmemory", "10mb"}; they come after the defaults and so override them
     * @return the running server, answering {@code PING}
     * @throws IllegalStateException if the server does not answer within 20 seconds or exits, with the
     *         process's output in the message
     */
    public static RedisServer start(String... extraConfigArgs) {
        return start(RedisBinary.locate(), extraConfigArgs);
    }

    /**
     * Starts a server with the given executable, e.g. {@link RedisBinary#embedded()} to test against
     * Redis 6.2 whatever is installed.
     *
     * @param binary a {@code redis-server} executable
     * @param extraConfigArgs more {@code redis-server} command-line arguments, see {@link #start(String...)}
     * @return the running server, answering {@code PING}
     * @throws IllegalStateException if the server does not answer within 20 seconds or exits, with the
     *         process's output in the message
     */
    public static RedisServer start(Path binary, String... extraConfigArgs) {
        List<String> extra = List.of(extraConfigArgs);
        return start(binary, port -> extra, false, false);
    }

    /**
     * The server shared by every test class of this JVM that does not need its own: started on first use,
     * killed by the shutdown hook when the JVM exits. Tests using it must {@link #flushAll()} first or use
     * keys unique to themselves, and must not change its configuration. Its {@link #close()} does nothing,
     * so it may be used in try-with-resources; {@link #stop()}, {@link #kill()}, {@link #restart()} and
     * {@link #pause()} throw {@link UnsupportedOperationException}: start an own server for those.
     *
     * @return the running shared server
     */
    public static synchronized RedisServer shared() {
        RedisServer server = shared;
        if (server == null || !server.isRunning()) {
            if (server != null) {
                server.release();
            }
            server = start(RedisBinary.locate(), port -> List.of(), false, true);
            shared = server;
        }
        return server;
    }

    /**
     * Starts a server whose extra arguments may depend on its port, e.g. a cluster node's config file name.
     * With {@code reserveBusPort}, the port is chosen so that port + 10000 (the cluster bus) is free too.
     */
    static RedisServer start(Path binary, IntFunction<List<String>> extraArgs, boolean reserveBusPort,
            boolean isShared) {
        Path directory;
        try {
            directory = Files.createTempDirectory("mtc-redis-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a directory for redis-server", e);
        }
        Path logFile = directory.resolve("redis-server.log");
        try {
            for (int attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
                int port = reserveFreePort(reserveBusPort);
                List<String> arguments = arguments(binary, port, directory, extraArgs.apply(port));
                Process process;
                try {
                    process = launch(arguments, directory, logFile, System.nanoTime() + START_TIMEOUT.toNanos());
                } catch (RuntimeException e) {
                    releasePort(port, reserveBusPort);
                    throw e;
                }
                if (process == null) {
                    log.debug("Port {} was taken before redis-server could bind it; trying another", port);
                    releasePort(port, reserveBusPort);
                    continue;
                }
                RedisServer server = new RedisServer(binary, port, reserveBusPort, arguments, directory, logFile,
                        process, isShared);
                register(server);
                log.info("Started {}", server);
                return server;
            }
            throw new IllegalStateException("redis-server found no free port in " + MAX_PORT_ATTEMPTS
                    + " attempts; last output:\n" + tail(logFile, 0));
        } catch (RuntimeException e) {
            deleteRecursively(directory);
            throw e;
        }
    }

    /** The address the server listens on: always {@code "127.0.0.1"}. */
    public String host() {
        return HOST;
    }

    /** The server's port; it stays the same across {@link #restart()}. */
    public int port() {
        return port;
    }

    /** {@code "redis://127.0.0.1:<port>"}, suitable for {@code RedisClient.create(String)}. */
    public String uri() {
        return "redis://" + HOST + ":" + port;
    }

    /** {@code "127.0.0.1:<port>"}. */
    public String address() {
        return HOST + ":" + port;
    }

    /** The process id of the current (or, once stopped, the last) {@code redis-server} process. */
    public long pid() {
        return process.pid();
    }

    /** The executable this server runs. */
    public Path binary() {
        return binary;
    }

    /** The server's temporary working directory ({@code --dir}); deleted by {@link #close()}. */
    public Path directory() {
        return directory;
    }

    /** The file receiving the process's standard output and error, across restarts. */
    public Path logFile() {
        return logFile;
    }

    /** The last lines of {@link #logFile()}. */
    public String logTail() {
        return tail(logFile, 0);
    }

    /**
     * Whether the process is alive. A {@link #pause() paused} server is alive: this returns {@code true}
     * although it answers nothing.
     */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** Whether the server was {@link #pause() paused} and not {@link #resume() resumed} since. */
    public boolean isPaused() {
        return paused && isRunning();
    }

    /**
     * Stops the server gracefully: resumes it if paused, sends {@code SHUTDOWN NOSAVE}, and waits for the
     * process to exit; falls back to {@code SIGTERM} then {@code SIGKILL} if it has not exited after 5 and 2
     * more seconds. Does nothing if the server is not running. The directory is kept, so
     * {@link #restart()} works.
     *
     * @throws UnsupportedOperationException on the {@link #shared()} server
     */
    public synchronized void stop() {
        requireNotShared("stop");
        stopProcess();
    }

    /**
     * Kills the process with {@code SIGKILL} ({@link Process#destroyForcibly()}), as a crash would, and
     * waits until it is gone. Clients see their connections closed by the operating system. Does nothing
     * if the server is not running.
     *
     * @throws UnsupportedOperationException on the {@link #shared()} server
     */
    public synchronized void kill() {
        requireNotShared("kill");
        Process current = process;
        if (current.isAlive()) {
            current.destroyForcibly();
            awaitExit(current, Duration.ofSeconds(10));
            log.info("Killed {}", this);
        }
        paused = false;
    }

    /**
     * Starts the server again on the same port, with the same arguments and directory, after
     * {@link #stop() stopping} it if it is still running; returns once it answers {@code PING}. If the port
     * is momentarily taken, retries for up to 20 seconds. The new process starts with an empty data set.
     *
     * @throws IllegalStateException if the server is closed, or does not come back within 20 seconds, with
     *         the process's output in the message
     * @throws UnsupportedOperationException on the {@link #shared()} server
     */
    public synchronized void restart() {
        requireNotShared("restart");
        requireNotClosed();
        stopProcess();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            Process restarted = launch(arguments, directory, logFile, deadline);
            if (restarted != null) {
                process = restarted;
                log.info("Restarted {}", this);
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("Port " + port + " stayed in use; cannot restart redis-server:\n"
                        + tail(logFile, 0));
            }
            sleep(Duration.ofMillis(100));
        }
    }

    /**
     * Freezes the process with {@code SIGSTOP}: its connections stay open but nothing is answered, as with
     * a server stuck in a long pause. Commands sent meanwhile are executed after {@link #resume()}.
     *
     * @throws IllegalStateException if the server is not running
     * @throws UnsupportedOperationException on the {@link #shared()} server
     */
    public synchronized void pause() {
        requireNotShared("pause");
        requireRunning();
        signal("STOP");
        paused = true;
    }

    /**
     * Lets a {@link #pause() paused} process continue with {@code SIGCONT}. Does nothing if it is not
     * paused.
     */
    public synchronized void resume() {
        if (paused && isRunning()) {
            signal("CONT");
        }
        paused = false;
    }

    /** Runs {@code FLUSHALL}: removes every key of every database. */
    public void flushAll() {
        command("FLUSHALL");
    }

    /**
     * Runs {@code INFO <section>}.
     *
     * @param section an INFO section such as {@code "server"}, {@code "clients"}, {@code "stats"} or
     *        {@code "all"}
     * @return the INFO text, {@code field:value} lines
     */
    public String info(String section) {
        return String.valueOf(command("INFO", section));
    }

    /**
     * Runs {@code CLIENT KILL <filter>} and tells how many connections were closed; the administrative
     * connection running the command is never among them.
     *
     * @param filter the filter words, e.g. {@code "TYPE pubsub"}, {@code "TYPE normal"} or
     *        {@code "ADDR 127.0.0.1:53410"}; a single {@code ip:port} uses the old form of the command
     * @return the number of connections killed
     */
    public long clientKill(String filter) {
        List<String> words = new ArrayList<>();
        words.add("CLIENT");
        words.add("KILL");
        words.addAll(Arrays.asList(filter.trim().split("\\s+")));
        Object reply = command(words.toArray(new String[0]));
        if (reply instanceof Long) {
            return (Long) reply;
        }
        return "OK".equals(reply) ? 1 : 0;
    }

    /**
     * Runs an arbitrary command on a new connection and returns its reply: a {@link String} for simple and
     * bulk strings, a {@link Long} for integers, an unmodifiable {@link List} for arrays, {@code null} for
     * nil. Replies are RESP2 ({@code HELLO} is never sent).
     *
     * @param args the command and its arguments, e.g. {@code "SET", "k", "v"}
     * @return the reply
     * @throws IllegalStateException if Redis replies with an error; the message is Redis's
     * @throws UncheckedIOException if the server cannot be reached or does not reply within
     *         {@value #COMMAND_TIMEOUT_SECONDS} seconds (e.g. while paused)
     */
    public @Nullable Object command(String... args) {
        try {
            return Resp.once(HOST, port, COMMAND_TIMEOUT, args);
        } catch (IOException e) {
            throw new UncheckedIOException(args[0] + " failed on " + this + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stops the server like {@link #stop()} and deletes its directory. Idempotent. Does nothing on the
     * {@link #shared()} server.
     */
    @Override
    public synchronized void close() {
        if (isShared || closed) {
            return;
        }
        stopProcess();
        release();
    }

    @Override
    public String toString() {
        return "RedisServer[" + address() + ", pid " + process.pid() + ", "
                + (process.isAlive() ? (paused ? "paused" : "running") : "stopped") + ", " + binary + "]";
    }

    private void stopProcess() {
        Process current = process;
        if (!current.isAlive()) {
            paused = false;
            return;
        }
        if (paused) {
            signal("CONT");
            paused = false;
        }
        try {
            Resp.once(HOST, port, Duration.ofSeconds(2), "SHUTDOWN", "NOSAVE");
        } catch (IOException | RuntimeException expected) {
            // the server closes the connection instead of replying
        }
        if (!waitFor(current, Duration.ofSeconds(5))) {
            current.destroy();
            if (!waitFor(current, Duration.ofSeconds(2))) {
                current.destroyForcibly();
            }
        }
        awaitExit(current, Duration.ofSeconds(10));
        log.info("Stopped {}", this);
    }

    private synchronized void release() {
        if (closed) {
            return;
        }
        closed = true;
        LIVE.remove(this);
        releasePort(port, reservesBusPort);
        deleteRecursively(directory);
    }

    private void requireNotShared(String operation) {
        if (isShared) {
            throw new UnsupportedOperationException("Cannot " + operation
                    + " the shared Redis server; start an own RedisServer for that");
        }
    }

    private void requireNotClosed() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private void requireRunning() {
        requireNotClosed();
        if (!isRunning()) {
            throw new IllegalStateException(this + " is not running");
        }
    }

    private void signal(String signal) {
        long pid = process.pid();
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true)
                    .start();
            kill.getOutputStream().close();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while sending SIG" + signal + " to " + pid, e);
        }
    }

    private static List<String> arguments(Path binary, int port, Path directory, List<String> extra) {
        List<String> arguments = new ArrayList<>(List.of(binary.toString(),
                "--port", Integer.toString(port),
                "--bind", HOST,
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", directory.toAbsolutePath().toString()));
        arguments.addAll(extra);
        return List.copyOf(arguments);
    }

    /**
     * Starts the process and waits until it answers on its port. Returns {@code null} if it exited because
     * the port (or its cluster bus port) was in use.
     */
    private static @Nullable Process launch(List<String> arguments, Path directory, Path logFile, long deadline) {
        long logOffset = size(logFile);
        Process process;
        try {
            process = new ProcessBuilder(arguments)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + arguments.get(0), e);
        }
        int port = Integer.parseInt(arguments.get(arguments.indexOf("--port") + 1));
        try {
            while (true) {
                if (!process.isAlive()) {
                    awaitExit(process, Duration.ofSeconds(5));
                    String output = tail(logFile, logOffset);
                    if (output.contains(BIND_CONFLICT)) {
                        return null;
                    }
                    throw new IllegalStateException("redis-server exited with code " + process.exitValue()
                            + " while starting on port " + port + "; command " + arguments + "; output ("
                            + logFile + "):\n" + output);
                }
                if (answers(port, process.pid())) {
                    return process;
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("redis-server did not answer PING on " + HOST + ":" + port
                            + " within " + START_TIMEOUT.toSeconds() + " seconds; command " + arguments
                            + "; output (" + logFile + "):\n" + tail(logFile, logOffset));
                }
                sleep(Duration.ofMillis(20));
            }
        } catch (RuntimeException e) {
            process.destroyForcibly();
            awaitExit(process, Duration.ofSeconds(10));
            throw e;
        }
    }

    /** Whether the process with the given pid answers PING on the port (and not some other process). */
    private static boolean answers(int port, long pid) {
        try (Resp resp = Resp.connect(HOST, port, PROBE_TIMEOUT)) {
            if (!"PONG".equals(resp.call("PING"))) {
                return false;
            }
            Object info = resp.call("INFO", "server");
            return info instanceof String && ((String) info).contains("\nprocess_id:" + pid + "\r");
        } catch (IOException | RuntimeException notYet) {
            return false;
        }
    }

    private static synchronized void register(RedisServer server) {
        LIVE.add(server);
        if (!shutdownHookRegistered) {
            Thread hook = new Thread(RedisServer::killAll, "mtc-redis-server-reaper");
            Runtime.getRuntime().addShutdownHook(hook);
            shutdownHookRegistered = true;
        }
    }

    private static void killAll() {
        for (RedisServer server : LIVE) {
            server.process.destroyForcibly();
        }
        for (RedisServer server : LIVE) {
            awaitExit(server.process, Duration.ofSeconds(2));
            deleteRecursively(server.directory);
        }
    }

    private static int reserveFreePort(boolean busPort) {
        int low = 10001;
        int high = Math.min(ephemeralPortRangeStart(), busPort ? 65536 - CLUSTER_BUS_PORT_OFFSET : 65536);
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = high - low >= 1000 ? ThreadLocalRandom.current().nextInt(low, high) : kernelChosenPort();
            if (busPort && port + CLUSTER_BUS_PORT_OFFSET > 65535) {
                continue;
            }
            if (port == 6379 || (busPort && port + CLUSTER_BUS_PORT_OFFSET == 6379)) {
                continue;
            }
            if (!RESERVED_PORTS.add(port)) {
                continue;
            }
            if (busPort && !RESERVED_PORTS.add(port + CLUSTER_BUS_PORT_OFFSET)) {
                RESERVED_PORTS.remove(port);
                continue;
            }
            if (canBind(port) && (!busPort || canBind(port + CLUSTER_BUS_PORT_OFFSET))) {
                return port;
            }
            releasePort(port, busPort);
        }
        throw new IllegalStateException("Found no free port on " + HOST);
    }

    private static void releasePort(int port, boolean busPort) {
        RESERVED_PORTS.remove(port);
        if (busPort) {
            RESERVED_PORTS.remove(port + CLUSTER_BUS_PORT_OFFSET);
        }
    }

    private static int ephemeralPortRangeStart() {
        try {
            Path range = Paths.get("/proc/sys/net/ipv4/ip_local_port_range");
            if (Files.isReadable(range)) {
                // procfs files report a size of 0 and Files.readString truncates them: read line-wise
                List<String> lines = Files.readAllLines(range);
                if (!lines.isEmpty()) {
                    return Integer.parseInt(lines.get(0).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException unknown) {
            // fall through to the usual default
        }
        return 32768;
    }

    private static int kernelChosenPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port on " + HOST, e);
        }
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for redis-server " + process.pid(), e);
        }
    }

    private static void awaitExit(Process process, Duration timeout) {
        if (!waitFor(process, timeout)) {
            process.destroyForcibly();
            if (!waitFor(process, timeout)) {
                throw new IllegalStateException("redis-server " + process.pid() + " did not exit");
            }
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The last {@value #LOG_TAIL_BYTES} bytes of the file written after the given offset. */
    static String tail(Path file, long fromOffset) {
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ)) {
            long start = Math.max(fromOffset, channel.size() - LOG_TAIL_BYTES);
            if (start >= channel.size()) {
                return "(no output)";
            }
            channel.position(start);
            ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(channel.size() - start));
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // read until full
            }
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            return start > fromOffset ? "..." + text : text;
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    log.debug("Cannot delete {}: {}", path, e.toString());
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.debug("Cannot delete {}: {}", directory, e.toString());
        }
    }
}
