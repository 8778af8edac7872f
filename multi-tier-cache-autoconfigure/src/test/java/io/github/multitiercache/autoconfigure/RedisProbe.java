package io.github.multitiercache.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;

/**
 * A plain Lettuce client on a test Redis, independent of the caches under test, for asserting what
 * the caches wrote: keys (found with SCAN, as production code must), raw values and TTLs.
 */
final class RedisProbe implements AutoCloseable {

    /** The client name of the probe's connection, to tell it apart in {@code CLIENT LIST}. */
    static final String CLIENT_NAME = "mtc-test-probe";

    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;

    private RedisProbe(RedisServer server) {
        this.client = RedisClient.create(RedisURI.builder().withHost(server.host()).withPort(server.port())
                .withTimeout(Duration.ofSeconds(5)).withClientName(CLIENT_NAME).build());
        this.connection = client.connect(ByteArrayCodec.INSTANCE);
    }

    static RedisProbe connect(RedisServer server) {
        return new RedisProbe(server);
    }

    /** Every key matching a glob pattern, found with SCAN. */
    List<String> keys(String pattern) {
        RedisCommands<byte[], byte[]> commands = connection.sync();
        ScanArgs args = ScanArgs.Builder.matches(bytes(pattern)).limit(500);
        List<String> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<byte[]> page = commands.scan(cursor, args);
            page.getKeys().forEach(key -> keys.add(new String(key, StandardCharsets.UTF_8)));
            cursor = page;
        }
        while (!cursor.isFinished());
        return keys;
    }

    boolean exists(String key) {
        return connection.sync().exists(bytes(key)) == 1;
    }

    /** The raw bytes stored under a key, or {@code null}. */
    byte[] get(String key) {
        return connection.sync().get(bytes(key));
    }

    /** The remaining time to live of a key in milliseconds; -1 without a TTL, -2 when absent. */
    long pttl(String key) {
        return connection.sync().pttl(bytes(key));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
