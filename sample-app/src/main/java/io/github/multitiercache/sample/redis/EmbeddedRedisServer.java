package io.github.multitiercache.sample.redis;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import redis.embedded.core.ExecutableProvider;

/**
 * A {@code redis-server} process on {@code 127.0.0.1} and a free port, with nothing persisted
 * ({@code --save "" --appendonly no}) and a temporary working directory.
 *
 * <p>The executable is {@code redis-server} from the {@code PATH} if there is one, else the binary
 * shipped in the {@code com.github.codemonstur:embedded-redis} jar (Redis 6.2 for Linux and macOS,
 * Redis 5 for Windows), extracted to a temporary file. {@link #close()} stops the process and
 * deletes the directory; it is idempotent and thread-safe.
 */
final class EmbeddedRedisServer implements AutoCloseable {

    static final String HOST = "127.0.0.1";

    private static final Duration PING_TIMEOUT = Duration.ofMillis(200);

    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private static final int PORT_ATTEMPTS = 3;

    private final Process process;

    private final int port;

    private final Path binary;

    private final Path directory;

    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedRedisServer(Process process, int port, Path binary, Path directory) {
        this.process = process;
        this.port = port;
        this.binary = binary;
        this.directory = directory;
    }

    /**
     * Starts a server and waits until it answers {@code PING}.
     * @param startTimeout how long to wait for the first answer
     * @return the running server
     * @throws IllegalStateException if no executable is found, or the server does not answer in
     *         time, with the process's output in the message
     */
    static EmbeddedRedisServer start(Duration startTimeout) {
        Path binary = locateBinary();
        Path directory;
        try {
            directory = Files.createTempDirectory("sample-redis-");
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot create a working directory for redis-server", ex);
        }
        try {
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                Process process = launch(binary, port, directory);
                if (awaitPong(process, port, startTimeout)) {
                    return new EmbeddedRedisServer(process, port, binary, directory);
                }
                stop(process);
                String output = output(directory);
                // Another process may have taken the port between our probe and redis-server's bind.
                if (!output.contains("Address already in use") || attempt == PORT_ATTEMPTS) {
                    throw new IllegalStateException(binary + " did not answer PING on port " + port + " within "
                            + startTimeout.toMillis() + "ms; its output:\n" + output);
                }
            }
        }
        catch (RuntimeException ex) {
            deleteRecursively(directory);
            throw ex;
        }
    }

    /** The address the server listens on: {@code 127.0.0.1}. */
    String host() {
        return HOST;
    }

    /** The port the server listens on. */
    int port() {
        return port;
    }

    /** The executable the server runs. */
    Path binary() {
        return binary;
    }

    /** The operating system's id of the process. */
    long pid() {
        return process.pid();
    }

    /** Whether the process is still alive. */
    boolean isRunning() {
        return process.isAlive();
    }

    /**
     * Stops the server ({@code SIGTERM}, then {@code SIGKILL} after 5 seconds) and deletes its
     * directory. Does nothing the second time.
     * @return whether this call stopped it
     */
    boolean stop() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        stop(process);
        deleteRecursively(directory);
        return true;
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "redis-server[" + HOST + ":" + port + ", pid " + process.pid() + ", " + binary + "]";
    }

    private static Path locateBinary() {
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win");
        Path onPath = findOnPath(System.getenv("PATH"), windows ? "redis-server.exe" : "redis-server");
        if (onPath != null) {
            return onPath;
        }
        try {
            return ExecutableProvider.newJarResourceProvider().get().toPath().toAbsolutePath();
        }
        catch (IOException | RuntimeException ex) {
            throw new IllegalStateException("There is no redis-server on the PATH, and the one in the embedded-redis"
                    + " jar cannot be used on " + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                    + ": " + ex, ex);
        }
    }

    private static @Nullable Path findOnPath(@Nullable String path, String name) {
        if (path == null) {
            return null;
        }
        for (String entry : path.split(Pattern.quote(File.pathSeparator))) {
            if (entry.isEmpty()) {
                continue;
            }
            try {
                Path candidate = Paths.get(entry, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toAbsolutePath();
                }
            }
            catch (RuntimeException invalidEntry) {
                // skipped, as a shell would
            }
        }
        return null;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot find a free port for redis-server", ex);
        }
    }

    private static Process launch(Path binary, int port, Path directory) {
        List<String> command = List.of(binary.toString(), "--port", Integer.toString(port), "--bind", HOST,
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", directory.toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(logFile(directory).toFile());
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            return process;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot run " + binary, ex);
        }
    }

    private static boolean awaitPong(Process process, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (process.isAlive()) {
            if (RedisProbe.probe(HOST, port, PING_TIMEOUT).answered()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                process.waitFor(POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static void stop(Process process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        catch (InterruptedException ex) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static Path logFile(Path directory) {
        return directory.resolve("redis-server.log");
    }

    private static String output(Path directory) {
        try {
            String text = Files.readString(logFile(directory), StandardCharsets.UTF_8);
            return (text.length() > 4000) ? "..." + text.substring(text.length() - 4000) : text;
        }
        catch (IOException | UncheckedIOException ex) {
            return "(no output: " + ex + ")";
        }
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (IOException | UncheckedIOException ex) {
            // a temporary directory left behind is harmless
        }
    }
}
