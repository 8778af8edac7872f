package io.github.multitiercache.sample.redis;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedRedisServerTests {

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

    @Test
    void answersPingUntilStopped() {
        EmbeddedRedisServer server = EmbeddedRedisServer.start(Duration.ofSeconds(10));
        try {
            assertThat(server.host()).isEqualTo("127.0.0.1");
            assertThat(server.port()).isPositive().isNotEqualTo(6379);
            assertThat(RedisProbe.probe(server.host(), server.port(), PROBE_TIMEOUT).detail()).isEqualTo("+PONG");
        }
        finally {
            assertThat(server.stop()).isTrue();
        }

        assertThat(server.isRunning()).isFalse();
        assertThat(RedisProbe.probe(server.host(), server.port(), PROBE_TIMEOUT).answered()).isFalse();
        assertThat(server.stop()).isFalse();
    }
}
