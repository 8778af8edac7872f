package io.github.multitiercache.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locates the {@code redis-server} executable that the test servers run.
 *
 * <p>{@link #locate()} resolves the executable once per JVM, in this order:
 * <ol>
 *   <li>the system property {@value #PROPERTY}, else the environment variable of the same name: the
 *       path of a {@code redis-server} executable. If it is set, it must name an executable file; there is
 *       no silent fallback to anything else;</li>
 *   <li>{@code redis-server} found on the {@code PATH};</li>
 *   <li>the binary shipped inside the {@code com.github.codemonstur:embedded-redis} jar (Redis 6.2 for
 *       Linux and macOS on amd64/arm64, Linux on x86), see {@link #embedded()}.</li>
 * </ol>
 *
 * <p>This class is thread-safe. It only reads the environment and, for the embedded binary, writes one
 * executable file under {@code java.io.tmpdir}.
 */
public final class RedisBinary {

    /** Name of the system property and of the environment variable that name the executable to use. */
    public static final String PROPERTY = "MTC_REDIS_SERVER";

    private static final Logger log = LoggerFactory.getLogger(RedisBinary.class);

    private static final Pattern VERSION = Pattern.compile("v=(\\d+)\\.(\\d+)\\.(\\d+)");

    private static final Map<Path, String> VERSIONS = new ConcurrentHashMap<>();

    private static @Nullable Path located;

    private static @Nullable Path embedded;

    private RedisBinary() {
    }

    /**
     * The {@code redis-server} executable to use, resolved once per JVM as described in the class
     * documentation.
     *
     * @return an absolute path to an executable file
     * @throws IllegalStateException if {@value #PROPERTY} names something that is not an executable file,
     *         or if nothing is on the {@code PATH} and the embedded-redis jar has no binary for this
     *         platform
     */
    public static synchronized Path locate() {
        Path path = located;
        if (path == null) {
            path = resolve();
            log.info("Using redis-server {} (version {})", path, version(path));
            located = path;
        }
        return path;
    }

    /**
     * The {@code redis-server} binary shipped inside the embedded-redis jar, regardless of the
     * configuration and of the {@code PATH}.
     *
     * <p>The binary is copied once per JVM into a per-user directory under {@code java.io.tmpdir}
     * ({@code mtc-redis-server-<user>}, readable by the owner only where the file system supports POSIX
     * permissions) and made executable. A copy left there by an earlier JVM is reused when it has the
     * same size, so repeated test runs do not pile up copies.
     *
     * @return an absolute path to the extracted executable
     * @throws IllegalStateException if the jar has no binary for this operating system and architecture
     * @throws UncheckedIOException if the binary cannot be written
     */
    public static synchronized Path embedded() {
        Path path = embedded;
        if (path == null) {
            path = extractEmbedded();
            embedded = path;
        }
        return path;
    }

    /**
     * The version of the {@link #locate() located} binary, e.g. {@code "7.0.15"}.
     *
     * @return the version as printed by {@code redis-server --version}
     */
    public static String version() {
        return version(locate());
    }

    /**
     * The version of the given binary, e.g. {@code "6.2.11"}, as printed by {@code redis-server --version}.
     * The answer is cached per path.
     *
     * @param binary a {@code redis-server} executable
     * @return the version, {@code major.minor.patch}
     * @throws IllegalStateException if the binary cannot be run or prints no version
     */
    public static String version(Path binary) {
        return VERSIONS.computeIfAbsent(binary.toAbsolutePath(), RedisBinary::readVersion);
    }

    /**
     * The major version of the {@link #locate() located} binary, e.g. {@code 7}.
     *
     * @return the major version
     */
    public static int majorVersion() {
        return majorVersion(locate());
    }

    /**
     * The major version of the given binary, e.g. {@code 6} for Redis 6.2.
     *
     * @param binary a {@code redis-server} executable
     * @return the major version
     */
    public static int majorVersion(Path binary) {
        String version = version(binary);
        return Integer.parseInt(version.substring(0, version.indexOf('.')));
    }

    private static Path resolve() {
        return resolve(System.getProperty(PROPERTY), System.getenv(PROPERTY), System.getenv("PATH"));
    }

    /** The resolution order of {@link #locate()}, with its inputs passed in. */
    static Path resolve(@Nullable String property, @Nullable String environment, @Nullable String pathVariable) {
        String configured = property;
        String source = "system property " + PROPERTY;
        if (configured == null || configured.isBlank()) {
            configured = environment;
            source = "environment variable " + PROPERTY;
        }
        if (configured != null && !configured.isBlank()) {
            Path path = Paths.get(configured.trim()).toAbsolutePath();
            if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
                throw new IllegalStateException(source + " is " + configured
                        + ", which is not an executable file");
            }
            return path;
        }
        Path onPath = findOnPath(pathVariable, "redis-server");
        if (onPath != null) {
            return onPath;
        }
        log.info("No redis-server on the PATH and {} is not set; using the binary from the embedded-redis jar",
                PROPERTY);
        return embedded();
    }

    private static @Nullable Path findOnPath(@Nullable String pathVariable, String name) {
        if (pathVariable == null) {
            return null;
        }
        for (String dir : pathVariable.split(Pattern.quote(File.pathSeparator))) {
            if (dir.isEmpty()) {
                continue;
            }
            try {
                Path candidate = Paths.get(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toAbsolutePath();
                }
            } catch (RuntimeException invalidPath) {
                // an unusable PATH entry is skipped, as a shell would
            }
        }
        return null;
    }

    /** Resource names at the root of the embedded-redis 1.4.3 jar, best match first. */
    static List<String> embeddedResourceNames(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        boolean amd64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        boolean x86 = arch.equals("x86") || arch.equals("i386") || arch.equals("i486") || arch.equals("i586")
                || arch.equals("i686");
        List<String> names = new ArrayList<>();
        if (os.contains("linux")) {
            if (amd64) {
                names.add("redis-server-6.2.6-v5-linux-amd64");
            } else if (arm64) {
                names.add("redis-server-6.2.7-linux-arm64");
            } else if (x86) {
                names.add("redis-server-6.2.7-linux-386");
            }
        } else if (os.contains("mac") || os.contains("darwin")) {
            if (amd64) {
                names.add("redis-server-6.2.6-v5-darwin-amd64");
            } else if (arm64) {
                names.add("redis-server-6.2.6-v5-darwin-arm64");
            }
        }
        return names;
    }

    private static Path extractEmbedded() {
        String osName = System.getProperty("os.name", "");
        String osArch = System.getProperty("os.arch", "");
        List<String> names = embeddedResourceNames(osName, osArch);
        ClassLoader loader = RedisBinary.class.getClassLoader();
        for (String name : names) {
            if (loader.getResource(name) != null) {
                try {
                    return extract(loader, name);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot extract " + name + " from the embedded-redis jar", e);
                }
            }
        }
        throw new IllegalStateException("The embedded-redis jar on the class path has no redis-server for "
                + osName + "/" + osArch + " (looked for " + names + "); install redis-server on the PATH or set "
                + PROPERTY);
    }

    private static Path extract(ClassLoader loader, String name) throws IOException {
        Path dir = Paths.get(System.getProperty("java.io.tmpdir"),
                "mtc-redis-server-" + System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_"));
        createPrivateDirectory(dir);
        Path target = dir.resolve(name);
        long expectedSize = resourceSize(loader, name);
        if (Files.isRegularFile(target) && Files.size(target) == expectedSize && Files.isExecutable(target)) {
            return target.toAbsolutePath();
        }
        Path temp = Files.createTempFile(dir, name, ".part");
        try {
            try (InputStream in = open(loader, name)) {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            if (!temp.toFile().setExecutable(true, true)) {
                throw new IOException("Cannot make " + temp + " executable");
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        log.info("Extracted {} from the embedded-redis jar to {}", name, target);
        return target.toAbsolutePath();
    }

    private static long resourceSize(ClassLoader loader, String name) throws IOException {
        URL url = loader.getResource(name);
        long size = url == null ? -1 : url.openConnection().getContentLengthLong();
        if (size < 0) {
            try (InputStream in = open(loader, name)) {
                size = in.transferTo(OutputStream.nullOutputStream());
            }
        }
        return size;
    }

    private static InputStream open(ClassLoader loader, String name) throws IOException {
        InputStream in = loader.getResourceAsStream(name);
        if (in == null) {
            throw new IOException("Resource " + name + " disappeared from the class path");
        }
        return in;
    }

    private static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createDirectory(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException raced) {
            // created concurrently by another JVM
        }
    }

    private static String readVersion(Path binary) {
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true);
        String output;
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] bytes;
            try (InputStream in = process.getInputStream()) {
                bytes = in.readNBytes(64 * 1024);
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(binary + " --version did not finish within 10 seconds");
            }
            output = new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + binary + " --version", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + binary + " --version", e);
        }
        Matcher matcher = VERSION.matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException(binary + " --version printed no version: " + output.strip());
        }
        return matcher.group(1) + "." + matcher.group(2) + "." + matcher.group(3);
    }
}
