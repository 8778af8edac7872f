package io.github.multitiercache.testsupport;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

/** Cheap Lettuce clients for the tests, and a bounded wait. */
final class TestClients implements AutoCloseable {

    private final ClientResources resources = DefaultClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(1)
            .build();

    /** A client that does not reconnect, so that a closed connection stays visible. */
    RedisClient client(String host, int port, Duration timeout) {
        RedisClient client = RedisClient.create(resources,
                RedisURI.builder().withHost(host).withPort(port).withTimeout(timeout).build());
        client.setOptions(ClientOptions.builder().autoReconnect(false).build());
        return client;
    }

    ClientResources resources() {
        return resources;
    }

    static void shutdown(RedisClient client) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted waiting until " + what, e);
            }
        }
    }

    @Override
    public void close() {
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3000);
    }
}
