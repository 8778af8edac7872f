package io.github.multitiercache.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {

    private static TestClients clients;

    private static RedisServer redis;

    private FaultProxy proxy;

    private RedisClient client;

    @BeforeAll
    static void startServer() {
        clients = new TestClients();
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopServer() {
        redis.close();
        clients.close();
    }

    @BeforeEach
    void startProxy() {
        proxy = FaultProxy.start(redis.host(), redis.port());
        client = clients.client(proxy.host(), proxy.port(), Duration.ofMillis(500));
    }

    @AfterEach
    void closeProxy() {
        TestClients.shutdown(client);
        proxy.close();
    }

    @Test
    void proxyForwardsPingToTheTarget() {
        assertThat(proxy.host()).isEqualTo("127.0.0.1");
        assertThat(proxy.port()).isNotEqualTo(redis.port()).isNotEqualTo(6379);

        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");
            assertThat(connection.sync().set("via", "proxy")).isEqualTo("OK");
            assertThat(proxy.connectionCount()).isEqualTo(1);
        }
        assertThat(redis.command("GET", "via")).isEqualTo("proxy");
        TestClients.await("the closed connection is no longer counted", () -> proxy.connectionCount() == 0);
    }

    @Test
    void blackholeMakesPingTimeOutWithoutClosingTheConnection() {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");

            proxy.blackhole();

            assertThat(proxy.isBlackholed()).isTrue();
            assertThatThrownBy(() -> connection.sync().ping()).isInstanceOf(RedisCommandTimeoutException.class);
            assertThat(connection.isOpen()).isTrue();
            assertThat(proxy.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void restoreMakesNewConnectionsWorkAndDeliversWhatWasHeldOnOldOnes() {
        try (StatefulRedisConnection<String, String> old = client.connect()) {
            proxy.blackhole();
            assertThatThrownBy(() -> old.sync().set("held", "1")).isInstanceOf(RedisCommandTimeoutException.class);
            assertThat(redis.command("GET", "held")).as("nothing reached the server").isNull();

            proxy.restore();

            assertThat(proxy.isBlackholed()).isFalse();
            try (StatefulRedisConnection<String, String> fresh = client.connect()) {
                assertThat(fresh.sync().ping()).isEqualTo("PONG");
            }
            TestClients.await("the held SET reaches the server", () -> "1".equals(redis.command("GET", "held")));
            assertThat(old.sync().ping()).isEqualTo("PONG");
        }
    }

    @Test
    void newConnectionsAreAcceptedButNotForwardedWhileBlackholed() throws IOException {
        proxy.blackhole();
        try (Socket socket = new Socket(proxy.host(), proxy.port())) {
            socket.setSoTimeout(300);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();

            assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
            assertThat(proxy.connectionCount()).isEqualTo(1);

            proxy.restore();

            socket.setSoTimeout(5000);
            assertThat(new String(in.readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void cutConnectionsClosesTheClientsConnectionAndNewOnesStillWork() {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");

            assertThat(proxy.cutConnections()).isEqualTo(1);

            TestClients.await("the client sees its connection closed", () -> !connection.isOpen());
            assertThat(proxy.connectionCount()).isZero();
        }
        try (StatefulRedisConnection<String, String> fresh = client.connect()) {
            assertThat(fresh.sync().ping()).isEqualTo("PONG");
        }
    }

    @Test
    void closeStopsListening() {
        int port = proxy.port();

        proxy.close();

        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }
}
