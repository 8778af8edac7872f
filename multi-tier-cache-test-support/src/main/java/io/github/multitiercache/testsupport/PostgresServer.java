package io.github.multitiercache.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private PostgreSQL cluster for tests: {@code initdb} into a temporary directory, then the
 * {@code postgres} server on {@code 127.0.0.1} on a free port (never 5432), configured for logical
 * replication ({@code wal_level=logical}, replication slots and WAL senders), with trust
 * authentication on loopback for every user and for replication connections. The superuser is
 * {@value #USER}; the database {@value #DATABASE}.
 *
 * <p>The binaries are looked up on the {@code PATH} ({@code initdb}, and {@code postgres} and
 * {@code psql} beside it), then under {@code /usr/lib/postgresql/<version>/bin} (highest version first).
 * PostgreSQL refuses to run as {@code root}: when the JVM runs as root, every command runs as the
 * {@code postgres} operating-system user through {@code runuser -u postgres --}, and the directory is
 * handed to that user (the Debian/Ubuntu packages create it).
 *
 * <p>{@link #stop()} shuts the server down (fast mode), {@link #kill()} sends {@code SIGKILL} to the
 * postmaster as a crash would, {@link #restart()} starts it again on the same port with the same data:
 * unlike {@link RedisServer}, a restarted PostgreSQL keeps its data, replication slots included.
 * {@link #close()} stops it and deletes the directory; a JVM shutdown hook kills servers left running.
 *
 * <p>{@link #sql(String)} runs SQL through {@code psql}, outside the client under test.
 */
public final class PostgresServer implements AutoCloseable {

    /** The only address the server listens on. */
    public static final String HOST = "127.0.0.1";

    /** The superuser. */
    public static final String USER = "postgres";

    /** The database created by {@code initdb} and used by default. */
    public static final String DATABASE = "postgres";

    private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private static final Set<Integer> RESERVED_PORTS = ConcurrentHashMap.newKeySet();

    private static final Set<PostgresServer> LIVE = ConcurrentHashMap.newKeySet();

    private static boolean shutdownHookRegistered;

    private final Path bin;

    private final Path directory;

    private final Path dataDirectory;

    private final Path logFile;

    private final int port;

    private final boolean asPostgresUser;

    private volatile @Nullable Process process;

    private volatile boolean closed;

    private PostgresServer(Path bin, Path directory, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.directory = directory;
        this.dataDirectory = directory.resolve("data");
        this.logFile = directory.resolve("postgres.log");
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /**
     * Creates a cluster in a temporary directory and starts it.
     *
     * @return the running server, accepting connections
     * @throws IllegalStateException if the binaries are missing or the server does not start within 30
     *         seconds, with the output in the message
     */
    public static PostgresServer start() {
        Path bin = locateBinaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path directory;
        try {
            directory = Files.createTempDirectory("mtc-postgres-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a directory for PostgreSQL", e);
        }
        int port = reserveFreePort();
        PostgresServer server = new PostgresServer(bin, directory, port, root);
        try {
            if (root) {
                run(List.of("chown", USER + ":", directory.toString()), Duration.ofSeconds(10));
            }
            server.runAsOwner(List.of(bin.resolve("initdb").toString(), "-D", server.dataDirectory.toString(),
                    "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"), Duration.ofSeconds(60));
            server.launch();
            register(server);
            log.info("Started {}", server);
            return server;
        } catch (RuntimeException e) {
            server.killProcess();
            RESERVED_PORTS.remove(port);
            deleteRecursively(directory);
            throw e;
        }
    }

    /**
     * The directory holding {@code initdb}, {@code postgres} and {@code psql}: the one of {@code initdb}
     * on the PATH, else the highest version under {@code /usr/lib/postgresql}.
     *
     * @return the directory
     * @throws IllegalStateException if PostgreSQL is not installed
     */
    public static Path locateBinaries() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(":")) {
                Path initdb = Paths.get(entry.isEmpty() ? "." : entry, "initdb");
                if (Files.isExecutable(initdb)) {
                    try {
                        Path real = initdb.toRealPath().getParent();
                        if (real != null && Files.isExecutable(real.resolve("postgres"))) {
                            return real;
                        }
                    } catch (IOException e) {
                        // try the next entry
                    }
                }
            }
        }
        List<Path> versions = new ArrayList<>();
        Path root = Paths.get("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
                for (Path version : entries) {
                    if (Files.isExecutable(version.resolve("bin/initdb"))) {
                        versions.add(version.resolve("bin"));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot list " + root, e);
            }
        }
        versions.sort(Comparator.comparingInt(PostgresServer::versionOf).reversed());
        if (versions.isEmpty()) {
            throw new IllegalStateException("PostgreSQL is not installed: no initdb on the PATH nor under " + root
                    + " (on Debian/Ubuntu: apt-get install postgresql)");
        }
        return versions.get(0);
    }

    private static int versionOf(Path bin) {
        Path version = bin.getParent();
        try {
            return Integer.parseInt(String.valueOf(version == null ? "" : version.getFileName()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** {@code "127.0.0.1"}. */
    public String host() {
        return HOST;
    }

    /** The server's port; it stays the same across {@link #restart()}. */
    public int port() {
        return port;
    }

    /** {@code jdbc:postgresql://127.0.0.1:<port>/postgres}. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + DATABASE;
    }

    /** The directory of the binaries this server runs. */
    public Path binaries() {
        return bin;
    }

    /** The temporary directory (data directory and log); deleted by {@link #close()}. */
    public Path directory() {
        return directory;
    }

    /** Whether the server process is alive. */
    public boolean isRunning() {
        Process current = process;
        return current != null && current.isAlive() && postmasterPid() > 0;
    }

    /**
     * Runs SQL with {@code psql} as the superuser on the default database, stopping at the first error.
     *
     * @param sql one or more statements
     * @return psql's unaligned, tuples-only output (fields separated by {@code |}), stripped
     * @throws IllegalStateException if psql fails, with its output
     */
    public String sql(String sql) {
        return run(List.of(bin.resolve("psql").toString(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", HOST, "-p", Integer.toString(port), "-U", USER, "-d", DATABASE, "-c", sql), COMMAND_TIMEOUT)
                .strip();
    }

    /**
     * Shuts the server down (fast mode: open sessions and replication connections are closed) and waits
     * until it has exited. Does nothing if it is not running.
     */
    public synchronized void stop() {
        long pid = postmasterPid();
        Process current = process;
        if (pid > 0) {
            signal("INT", pid);
        }
        if (current != null) {
            awaitExit(current, Duration.ofSeconds(30));
        }
        awaitPortFree();
        log.info("Stopped {}", this);
    }

    /**
     * Kills the postmaster with {@code SIGKILL}, as a crash would; its backends exit once they notice,
     * and the next {@link #restart()} runs crash recovery. Waits until the port is free.
     */
    public synchronized void kill() {
        long pid = postmasterPid();
        if (pid > 0) {
            signal("KILL", pid);
        }
        Process current = process;
        if (current != null) {
            awaitExit(current, Duration.ofSeconds(30));
        }
        awaitPortFree();
        log.info("Killed {}", this);
    }

    /**
     * Starts the server again on the same port and data directory (after {@link #stop() stopping} it if it
     * is running) and waits until it accepts connections.
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (isRunning()) {
            stop();
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            try {
                launch();
                log.info("Restarted {}", this);
                return;
            } catch (IllegalStateException e) {
                // backends of a killed postmaster may still hold its shared memory for a moment
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                sleep(Duration.ofMillis(200));
            }
        }
    }

    /** Stops the server and deletes its directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            stop();
        } catch (RuntimeException e) {
            log.warn("Cannot stop {} cleanly: {}", this, e.toString());
            killProcess();
        }
        closed = true;
        LIVE.remove(this);
        RESERVED_PORTS.remove(port);
        deleteRecursively(directory);
    }

    @Override
    public String toString() {
        return "PostgresServer[" + HOST + ":" + port + ", " + dataDirectory + ", " + bin + "]";
    }

    private void launch() {
        List<String> command = List.of(bin.resolve("postgres").toString(), "-D", dataDirectory.toString(),
                "-p", Integer.toString(port),
                "-c", "listen_addresses=" + HOST,
                "-c", "unix_socket_directories=" + directory,
                "-c", "wal_level=logical",
                "-c", "max_replication_slots=32",
                "-c", "max_wal_senders=32",
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                "-c", "shared_buffers=32MB",
                "-c", "max_connections=50");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Process started;
        try {
            started = new ProcessBuilder(asOwner(command))
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            started.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + command.get(0), e);
        }
        process = started;
        while (true) {
            if (!started.isAlive()) {
                throw new IllegalStateException("postgres exited with code " + started.exitValue() + " on port "
                        + port + "; log " + logFile + ":\n" + RedisServer.tail(logFile, 0));
            }
            if (accepts()) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                killProcess();
                throw new IllegalStateException("postgres did not accept connections on port " + port + " within "
                        + START_TIMEOUT.toSeconds() + " s; log:\n" + RedisServer.tail(logFile, 0));
            }
            sleep(Duration.ofMillis(50));
        }
    }

    private boolean accepts() {
        try {
            Process ready = new ProcessBuilder(bin.resolve("pg_isready").toString(), "-q", "-h", HOST, "-p",
                    Integer.toString(port), "-U", USER, "-d", DATABASE).redirectErrorStream(true).start();
            ready.getOutputStream().close();
            ready.getInputStream().readAllBytes();
            return ready.waitFor(10, TimeUnit.SECONDS) && ready.exitValue() == 0;
        } catch (IOException e) {
            return portAnswers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    private boolean portAnswers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The postmaster's pid from {@code postmaster.pid}; 0 when the server is not running. */
    private long postmasterPid() {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return 0;
            }
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return lines.isEmpty() ? 0 : Long.parseLong(lines.get(0).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private void killProcess() {
        long pid = postmasterPid();
        if (pid > 0) {
            try {
                signal("KILL", pid);
            } catch (RuntimeException e) {
                log.debug("Cannot kill {}: {}", pid, e.toString());
            }
        }
        Process current = process;
        if (current != null) {
            current.destroyForcibly();
        }
    }

    private void awaitPortFree() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (portAnswers()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("Port " + port + " still answers after stopping " + this);
            }
            sleep(Duration.ofMillis(50));
        }
    }

    private List<String> asOwner(List<String> command) {
        if (!asPostgresUser) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", USER, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    private String runAsOwner(List<String> command, Duration timeout) {
        return run(asOwner(command), timeout);
    }

    private static String run(List<String> command, Duration timeout) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within " + timeout);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed with code " + process.exitValue() + ":\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + command, e);
        }
    }

    private static void signal(String signal, long pid) {
        // the postmaster belongs to the postgres user; root may signal it
        run(List.of("kill", "-" + signal, Long.toString(pid)), Duration.ofSeconds(10));
    }

    private static synchronized void register(PostgresServer server) {
        LIVE.add(server);
        if (!shutdownHookRegistered) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (PostgresServer live : LIVE) {
                    live.killProcess();
                    deleteRecursively(live.directory);
                }
            }, "mtc-postgres-reaper"));
            shutdownHookRegistered = true;
        }
    }

    private static int reserveFreePort() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(10001, 32000);
            if (port == 5432 || port == 6379 || !RESERVED_PORTS.add(port)) {
                continue;
            }
            if (canBind(port)) {
                return port;
            }
            RESERVED_PORTS.remove(port);
        }
        throw new IllegalStateException("Found no free port on " + HOST);
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

    private static void awaitExit(Process process, Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
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

    private static void deleteRecursively(Path directory) {
        RedisServer.deleteRecursively(directory);
    }
}
