package io.github.multitiercache.cdc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.api.async.RedisStringAsyncCommands;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The fleet-wide consumer lease: one Redis key holding the holder's random token, taken with
 * {@code SET NX PX}, renewed and released by the holder only (token checked in Lua). A renewal that
 * finds the key gone (Redis restarted empty, or the key evicted) puts it back with the holder's token
 * if nobody took it meanwhile.
 *
 * <p>Every command is sent without blocking on the application's (shared Lettuce) connection and
 * waited for at most a {@linkplain #commandTimeout() third of the lease's time to live}, not the
 * connection's own timeout ({@code spring.data.redis.timeout}, 60 s by default): a command that does
 * not answer in time fails, and a renewal that fails is a renewal lost.
 */
final class RedisLease {

    /** Renew: 1 if the lease is (again) ours, 0 if another holder has it. */
    private static final String RENEW = """
            local holder = redis.call('GET', KEYS[1])
            if holder == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            if not holder then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 1
            end
            return 0
            """;

    private static final String RELEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """;

    private final RedisConnectionFactory connectionFactory;

    private final String key;

    private final byte[] keyBytes;

    private final String token = UUID.randomUUID().toString();

    private final byte[] tokenBytes = token.getBytes(StandardCharsets.UTF_8);

    private final Duration ttl;

    RedisLease(RedisConnectionFactory connectionFactory, String key, Duration ttl) {
        this.connectionFactory = connectionFactory;
        this.key = key;
        this.keyBytes = key.getBytes(StandardCharsets.UTF_8);
        this.ttl = ttl;
    }

    String key() {
        return key;
    }

    String token() {
        return token;
    }

    Duration ttl() {
        return ttl;
    }

    /** @return the longest one lease command is waited for: a third of the time to live */
    Duration commandTimeout() {
        return ttl.dividedBy(3);
    }

    /** @return whether this instance took the free lease; throws when Redis does not answer in time */
    boolean tryAcquire() {
        return "OK".equals(call(commands -> strings(commands).set(keyBytes,
                tokenBytes, SetArgs.Builder.nx().px(ttl.toMillis())), commandTimeout()));
    }

    /**
     * @param timeout the longest to wait for the answer, at most {@link #commandTimeout()}
     * @return whether the lease is still (or again) ours; throws when Redis does not answer in time
     */
    boolean renew(Duration timeout) {
        Object result = call(commands -> script(commands).eval(RENEW, ScriptOutputType.INTEGER,
                new byte[][] { keyBytes }, tokenBytes, Long.toString(ttl.toMillis()).getBytes(StandardCharsets.US_ASCII)),
                min(timeout, commandTimeout()));
        return Long.valueOf(1L).equals(result);
    }

    /** Deletes the key if it holds our token; throws when Redis does not answer in time. */
    void release() {
        call(commands -> script(commands).eval(RELEASE, ScriptOutputType.INTEGER, new byte[][] { keyBytes },
                tokenBytes), commandTimeout());
    }

    /** @return the current holder's token, or null; throws when Redis does not answer in time */
    @Nullable String holder() {
        Object value = call(commands -> strings(commands).get(keyBytes),
                commandTimeout());
        return (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : null;
    }

    // The native connection of a Lettuce connection: its asynchronous commands, standalone or cluster.
    @SuppressWarnings("unchecked")
    private static RedisStringAsyncCommands<byte[], byte[]> strings(Object commands) {
        return (RedisStringAsyncCommands<byte[], byte[]>) commands;
    }

    @SuppressWarnings("unchecked")
    private static RedisScriptingAsyncCommands<byte[], byte[]> script(Object commands) {
        return (RedisScriptingAsyncCommands<byte[], byte[]>) commands;
    }

    private static Duration min(Duration a, Duration b) {
        return (a.compareTo(b) < 0) ? a : b;
    }

    /**
     * Sends one command on the shared native connection (Lettuce's asynchronous commands) and waits for
     * its answer at most {@code timeout}.
     * @throws LeaseCommandException when it fails or does not answer in time
     */
    private @Nullable Object call(Function<Object, Future<?>> command, Duration timeout) {
        long waitNanos = Math.max(1, timeout.toNanos());
        try (RedisConnection connection = connectionFactory.getConnection()) {
            Future<?> reply = command.apply(connection.getNativeConnection());
            try {
                return reply.get(waitNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                reply.cancel(true);
                throw new LeaseCommandException("no answer from Redis within " + timeout, e);
            } catch (ExecutionException e) {
                throw new LeaseCommandException(String.valueOf(e.getCause()), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LeaseCommandException("interrupted", e);
            }
        }
    }

    /** A lease command failed or did not answer in time. */
    static final class LeaseCommandException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        LeaseCommandException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }
}
