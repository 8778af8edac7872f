package io.github.multitiercache.sample.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedisProbeTests {

    private static final Duration TIMEOUT = Duration.ofMillis(300);

    @Test
    void recognisesARedisByItsPong() {
        RedisProbe.Result result = RedisProbe.probe(RedisServer.HOST, RedisServer.shared().port(), TIMEOUT);

        assertThat(result).isEqualTo(new RedisProbe.Result(true, "+PONG"));
    }

    @Test
    void recognisesARedisThatDemandsAPassword() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Thread responder = reply(server, "-NOAUTH Authentication required.\r\n");

            RedisProbe.Result result = RedisProbe.probe("127.0.0.1", server.getLocalPort(), TIMEOUT);
            responder.join(2000);

            assertThat(result).isEqualTo(new RedisProbe.Result(true, "-NOAUTH Authentication required."));
        }
    }

    @Test
    void reportsARefusedConnection() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }

        assertThat(RedisProbe.probe("127.0.0.1", port, TIMEOUT))
                .isEqualTo(new RedisProbe.Result(false, "connection refused"));
    }

    @Test
    void givesUpOnAServerThatNeverAnswers() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            long start = System.nanoTime();
            RedisProbe.Result result = RedisProbe.probe("127.0.0.1", silent.getLocalPort(), TIMEOUT);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

            assertThat(result).isEqualTo(new RedisProbe.Result(false, "no answer within 300ms"));
            assertThat(elapsed).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void rejectsAServerThatDoesNotSpeakRedis() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Thread responder = reply(server, "HTTP/1.1 400 Bad Request\r\n\r\n");

            RedisProbe.Result result = RedisProbe.probe("127.0.0.1", server.getLocalPort(), TIMEOUT);
            responder.join(2000);

            assertThat(result).isEqualTo(new RedisProbe.Result(false, "reply is not Redis: HTTP/1.1 400 Bad Request"));
        }
    }

    /** Answers the first connection with a fixed text, whatever it receives. */
    private static Thread reply(ServerSocket server, String text) {
        Thread responder = new Thread(() -> {
            try (Socket client = server.accept()) {
                client.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            }
            catch (IOException ignored) {
                // the probe has gone
            }
        });
        responder.start();
        return responder;
    }
}
