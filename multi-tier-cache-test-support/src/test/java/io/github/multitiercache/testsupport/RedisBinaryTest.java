package io.github.multitiercache.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisBinaryTest {

    @Test
    void locateFindsAnExecutableRedisServerOfVersion6OrLater() {
        Path binary = RedisBinary.locate();

        assertThat(binary).isAbsolute();
        assertThat(Files.isExecutable(binary)).isTrue();
        assertThat(RedisBinary.locate()).isSameAs(binary);
        assertThat(RedisBinary.majorVersion()).isGreaterThanOrEqualTo(6);
        assertThat(RedisBinary.version()).matches("\\d+\\.\\d+\\.\\d+");
    }

    @Test
    void embeddedBinaryIsExtractedOnceAndIsRedis6() {
        Path embedded = RedisBinary.embedded();

        assertThat(embedded).isAbsolute().isRegularFile();
        assertThat(Files.isExecutable(embedded)).isTrue();
        assertThat(RedisBinary.embedded()).isSameAs(embedded);
        assertThat(RedisBinary.majorVersion(embedded)).isEqualTo(6);
    }

    @Test
    void embeddedBinaryRunsAServer() {
        try (RedisServer redis = RedisServer.start(RedisBinary.embedded())) {
            assertThat(redis.binary()).isEqualTo(RedisBinary.embedded());
            assertThat(redis.info("server")).contains("redis_version:6.");
            assertThat(redis.command("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void embeddedResourceNamesExistInTheEmbeddedRedisJarForLinuxAndMac() {
        String[][] platforms = {
            {"Linux", "amd64"}, {"Linux", "aarch64"}, {"Linux", "x86"},
            {"Mac OS X", "x86_64"}, {"Mac OS X", "aarch64"},
        };
        for (String[] platform : platforms) {
            assertThat(RedisBinary.embeddedResourceNames(platform[0], platform[1]))
                    .as("%s/%s", platform[0], platform[1])
                    .isNotEmpty()
                    .allSatisfy(name -> assertThat(RedisBinary.class.getClassLoader().getResource(name))
                            .as(name).isNotNull());
        }
        assertThat(RedisBinary.embeddedResourceNames("Windows 11", "amd64")).isEmpty();
    }

    @Test
    void theConfiguredExecutableWinsAndThePropertyWinsOverTheEnvironment(@TempDir Path dir) throws Exception {
        Path fromProperty = executable(dir.resolve("a"));
        Path fromEnvironment = executable(dir.resolve("b"));
        Path onPath = executable(dir.resolve("bin").resolve("redis-server"));

        assertThat(RedisBinary.resolve(fromProperty.toString(), fromEnvironment.toString(), onPath.getParent().toString()))
                .isEqualTo(fromProperty);
        assertThat(RedisBinary.resolve(null, fromEnvironment.toString(), onPath.getParent().toString()))
                .isEqualTo(fromEnvironment);
        assertThat(RedisBinary.resolve(" ", fromEnvironment.toString(), null)).isEqualTo(fromEnvironment);
    }

    @Test
    void aConfiguredPathThatIsNotExecutableFailsInsteadOfFallingBack(@TempDir Path dir) throws Exception {
        Path notExecutable = Files.createFile(dir.resolve("redis-server"));

        assertThatThrownBy(() -> RedisBinary.resolve(notExecutable.toString(), null, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(RedisBinary.PROPERTY)
                .hasMessageContaining("not an executable file");
        assertThatThrownBy(() -> RedisBinary.resolve(null, dir.resolve("missing").toString(), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("environment variable");
    }

    @Test
    void redisServerOnThePathComesBeforeTheEmbeddedBinary(@TempDir Path dir) throws Exception {
        Path onPath = executable(dir.resolve("bin").resolve("redis-server"));
        String pathVariable = dir.resolve("empty") + java.io.File.pathSeparator + onPath.getParent();

        assertThat(RedisBinary.resolve(null, null, pathVariable)).isEqualTo(onPath);
    }

    @Test
    void withoutConfigurationOrPathTheEmbeddedBinaryIsUsed(@TempDir Path dir) {
        assertThat(RedisBinary.resolve(null, "", dir.toString())).isEqualTo(RedisBinary.embedded());
        assertThat(RedisBinary.resolve(null, null, null)).isEqualTo(RedisBinary.embedded());
    }

    private static Path executable(Path path) throws Exception {
        Files.createDirectories(path.getParent());
        Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return path;
    }
}
