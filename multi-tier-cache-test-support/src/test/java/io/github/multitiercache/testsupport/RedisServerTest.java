package io.github.multitiercache.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RedisServerTest {

    private static TestClients clients;

    private RedisServer redis;

    @BeforeAll
    static void createClients() {
        clients = new TestClients();
    }

    @AfterAll
    static void closeClients() {
        clients.close();
    }

    @BeforeEach
    void startServer() {
        redis = RedisServer.start();
    }

    @AfterEach
    void closeServer() {
        redis.close();
    }

    @Test
    void startAnswersPingOnALoopbackPortThatIsNot6379() {
        assertThat(redis.host()).isEqualTo("127.0.0.1");
        assertThat(redis.port()).isNotEqualTo(6379).isBetween(1, 65535);
        assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
        assertThat(redis.isRunning()).isTrue();
        assertThat(redis.command("PING")).isEqualTo("PONG");
        assertThat(redis.info("server")).contains("tcp_port:" + redis.port(), "process_id:" + redis.pid());

        RedisClient client = clients.client(redis.host(), redis.port(), Duration.ofSeconds(2));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");
        } finally {
            TestClients.shutdown(client);
        }
    }

    @Test
    void defaultsPersistNothingAndExtraArgumentsOverrideThem() {
        assertThat(redis.command("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
        assertThat(redis.command("CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "no"));
        assertThat(redis.command("CONFIG", "GET", "bind")).isEqualTo(List.of("bind", "127.0.0.1"));
        assertThat(redis.command("CONFIG", "GET", "dir"))
                .isEqualTo(List.of("dir", redis.directory().toAbsolutePath().toString()));

        try (RedisServer limited = RedisServer.start("--maxmemory", "10mb", "--appendonly", "yes")) {
            assertThat(limited.port()).isNotEqualTo(redis.port());
            assertThat(limited.command("CONFIG", "GET", "maxmemory")).isEqualTo(List.of("maxmemory", "10485760"));
            assertThat(limited.command("CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "yes"));
        }
    }

    @Test
    void commandReturnsStringsLongsListsAndNilAndThrowsOnErrorReplies() {
        assertThat(redis.command("SET", "greeting", "héllo")).isEqualTo("OK");
        assertThat(redis.command("GET", "greeting")).isEqualTo("héllo");
        assertThat(redis.command("GET", "missing")).isNull();
        assertThat(redis.command("INCR", "counter")).isEqualTo(1L);
        redis.command("RPUSH", "list", "a", "b");
        assertThat(redis.command("LRANGE", "list", "0", "-1")).isEqualTo(List.of("a", "b"));

        assertThatThrownBy(() -> redis.command("INCR", "greeting"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ERR");
    }

    @Test
    void flushAllRemovesEveryKey() {
        redis.command("SET", "a", "1");
        redis.command("SET", "b", "2");

        redis.flushAll();

        assertThat(redis.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void stopEndsTheProcessAndKeepsTheDirectoryForARestart() {
        long pid = redis.pid();

        redis.stop();

        assertThat(redis.isRunning()).isFalse();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(redis.directory()).isDirectory();
        assertThatThrownBy(() -> redis.command("PING")).isInstanceOf(UncheckedIOException.class);
    }

    @Test
    void restartKeepsThePortAndAnswersPingAgain() {
        int port = redis.port();
        long pid = redis.pid();
        redis.command("SET", "key", "value");

        redis.restart();

        assertThat(redis.port()).isEqualTo(port);
        assertThat(redis.pid()).isNotEqualTo(pid);
        assertThat(redis.isRunning()).isTrue();
        assertThat(redis.command("PING")).isEqualTo("PONG");
        assertThat(redis.command("GET", "key")).as("nothing is persisted").isNull();
    }

    @Test
    void restartRetriesWhileThePortIsMomentarilyBusy() throws Exception {
        redis.stop();
        ServerSocket squatter = new ServerSocket();
        squatter.setReuseAddress(true);
        squatter.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), redis.port()));
        CompletableFuture<Void> release = CompletableFuture.runAsync(() -> {
            try {
                squatter.close();
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        }, CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS));
        try {
            redis.restart();
        } finally {
            release.get(5, TimeUnit.SECONDS);
        }

        assertThat(redis.command("PING")).isEqualTo("PONG");
        assertThat(redis.info("server")).contains("tcp_port:" + redis.port());
    }

    @Test
    void killEndsTheProcessAbruptlyAndClientsSeeTheirConnectionClosed() {
        long pid = redis.pid();
        RedisClient client = clients.client(redis.host(), redis.port(), Duration.ofSeconds(2));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");

            redis.kill();

            assertThat(redis.isRunning()).isFalse();
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
            TestClients.await("the client sees its connection closed", () -> !connection.isOpen());
        } finally {
            TestClients.shutdown(client);
        }

        redis.restart();
        assertThat(redis.command("PING")).isEqualTo("PONG");
    }

    @Test
    void pausedServerMakesCommandsTimeOutAndResumeMakesThemWorkAgain() {
        RedisClient client = clients.client(redis.host(), redis.port(), Duration.ofMillis(300));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");

            redis.pause();

            assertThat(redis.isRunning()).isTrue();
            assertThat(redis.isPaused()).isTrue();
            assertThatThrownBy(() -> connection.sync().ping()).isInstanceOf(RedisCommandTimeoutException.class);
            assertThat(connection.isOpen()).isTrue();

            redis.resume();

            assertThat(redis.isPaused()).isFalse();
            assertThat(connection.sync().ping()).isEqualTo("PONG");
            assertThat(connection.sync().set("after", "resume")).isEqualTo("OK");
        } finally {
            TestClients.shutdown(client);
        }
    }

    @Test
    void closeStopsAPausedServerAndDeletesItsDirectory() {
        long pid = redis.pid();
        redis.pause();

        redis.close();

        assertThat(redis.isRunning()).isFalse();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(redis.directory()).doesNotExist();
        assertThatThrownBy(redis::restart).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void clientKillClosesOnlyTheMatchingConnections() {
        RedisClient client = clients.client(redis.host(), redis.port(), Duration.ofSeconds(2));
        try (StatefulRedisPubSubConnection<String, String> subscriber = client.connectPubSub();
                StatefulRedisConnection<String, String> normal = client.connect()) {
            subscriber.sync().subscribe("news");
            assertThat(normal.sync().ping()).isEqualTo("PONG");

            assertThat(redis.clientKill("TYPE pubsub")).isEqualTo(1);

            TestClients.await("the subscriber sees its connection closed", () -> !subscriber.isOpen());
            assertThat(normal.sync().ping()).isEqualTo("PONG");
            assertThat(redis.clientKill("TYPE normal")).as("the killing connection spares itself").isEqualTo(1);
            TestClients.await("the normal connection is closed", () -> !normal.isOpen());
        } finally {
            TestClients.shutdown(client);
        }
    }

    @Test
    void logFileHoldsTheServerOutput() throws Exception {
        assertThat(redis.logFile()).isRegularFile().hasParent(redis.directory());
        TestClients.await("the server logs that it is ready",
                () -> redis.logTail().contains("Ready to accept connections"));
        assertThat(Files.readString(redis.logFile())).contains("Ready to accept connections");
    }

    @Test
    void startFailsWithTheServerOutputInTheMessage() {
        assertThatThrownBy(() -> RedisServer.start("--no-such-directive", "x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining("no-such-directive");
    }

    @Test
    void sharedIsOneRunningServerThatTestsCannotStop() {
        RedisServer shared = RedisServer.shared();

        assertThat(RedisServer.shared()).isSameAs(shared);
        assertThat(shared.command("PING")).isEqualTo("PONG");
        assertThat(shared.port()).isNotEqualTo(6379).isNotEqualTo(redis.port());
        assertThatThrownBy(shared::stop).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(shared::kill).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(shared::pause).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(shared::restart).isInstanceOf(UnsupportedOperationException.class);

        shared.close();

        assertThat(shared.isRunning()).isTrue();
        assertThat(RedisServer.shared()).isSameAs(shared);
    }
}
