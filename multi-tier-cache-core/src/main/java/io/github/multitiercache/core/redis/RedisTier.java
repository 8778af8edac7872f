package io.github.multitiercache.core.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * The byte-level Redis I/O of every cache of one manager: GET, SET with a TTL, UNLINK,
 * SCAN-based clearing and Lua scripts, each bounded by a short timeout and guarded by a
 * {@link CircuitBreaker}; and pub/sub subscriptions on one subscriber connection opened on first use.
 *
 * <p>No method throws because Redis failed or was slow: reads report a miss, writes report
 * {@code false}, and the failure is counted and logged (the first of a run at WARN, the rest at
 * DEBUG). Error replies from Redis (for example a wrong key type) are logged but do not trip the
 * breaker, since they say nothing about Redis being reachable.
 */
public final class RedisTier implements AutoCloseable {

    private static final Log logger = LogFactory.getLog(RedisTier.class);
    // Package-private for RedisBatches, which runs its pipelines through execute.
    static final Object FAILED = CommandRunner.FAILED;
    static final Object SENT = CommandRunner.SENT;
    private static final int SCAN_BATCH = 1000;

    private final RedisConnectionHolder connections;
    private final CircuitBreaker breaker;
    private final CommandRunner runner;
    private final LettuceConnectionFactory connectionFactory;
    private final Executor connectExecutor;
    private final Object subscriptionLock = new Object();
    private volatile @Nullable RedisMessageListenerContainer subscriptions;
    private final AtomicBoolean subscribing = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * Creates the tier and starts opening its connection in the background, so that the first
     * calls do not wait for the connection handshake.
     * @param connectionFactory the application's Lettuce connection factory, started
     * @param commandTimeout the longest a caller waits for one command
     * @param breaker the circuit breaker guarding every call
     * @param connectExecutor where connections are opened
     */
    public RedisTier(LettuceConnectionFactory connectionFactory, Duration commandTimeout, CircuitBreaker breaker,
            Executor connectExecutor) {
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("command timeout must be positive but was " + commandTimeout);
        }
        this.breaker = Objects.requireNonNull(breaker, "breaker");
        // Once the connection is back, the breaker need not wait out its open duration.
        this.connections = new RedisConnectionHolder(connectionFactory, connectExecutor, breaker::probeNow);
        this.connectionFactory = connectionFactory;
        this.connectExecutor = connectExecutor;
        this.runner = new CommandRunner(connections, breaker, commandTimeout.toNanos(), connectExecutor);
        // Warm up; a failure here is retried by the first call.
        connections.connection();
    }

    /**
     * Reads a value.
     * @param key the Redis key
     * @return the value, or {@code null} on a miss or when Redis is unavailable
     */
    public byte @Nullable [] get(byte[] key) {
        Object result = execute("GET", false, commands -> commands.get(key));
        return (result == FAILED) ? null : (byte[]) result;
    }

    /**
     * Reads a value without blocking the caller.
     * @param key the Redis key
     * @return a future that completes with the value, or with {@code null} on a miss or when Redis
     *         is unavailable; it never completes exceptionally
     */
    public CompletableFuture<byte @Nullable []> getAsync(byte[] key) {
        return executeAsync("GET", commands -> commands.get(key))
                .thenApply(result -> (result == FAILED) ? null : (byte[]) result);
    }

    /**
     * Writes a value with a TTL.
     * @param key the Redis key
     * @param value the value
     * @param ttlMillis the time to live, positive
     * @return {@code true} when Redis acknowledged the write
     */
    public boolean set(byte[] key, byte[] value, long ttlMillis) {
        return execute("SET", true, commands -> commands.set(key, value, SetArgs.Builder.px(ttlMillis))) != FAILED;
    }

    /**
     * Writes a value with a TTL without blocking the caller.
     * @param key the Redis key
     * @param value the value
     * @param ttlMillis the time to live, positive
     * @return a future that completes with whether Redis acknowledged the write; it never
     *         completes exceptionally
     */
    public CompletableFuture<Boolean> setAsync(byte[] key, byte[] value, long ttlMillis) {
        return executeAsync("SET", commands -> commands.set(key, value, SetArgs.Builder.px(ttlMillis)))
                .thenApply(result -> result != FAILED);
    }

    /**
     * Publishes a message without blocking the caller. Messages published from one thread reach
     * Redis in the order of the calls.
     * @param channel the channel
     * @param message the message
     * @return a future that completes with whether Redis accepted the message; it never completes
     *         exceptionally
     */
    public CompletableFuture<Boolean> publishAsync(byte[] channel, byte[] message) {
        return executeAsync("PUBLISH", commands -> commands.publish(channel, message))
                .thenApply(result -> result != FAILED);
    }

    /**
     * Writes a value with a TTL unless the key exists.
     * @param key the Redis key
     * @param value the value
     * @param ttlMillis the time to live, positive
     * @return whether the value was stored, and the existing value when it was not
     */
    public SetIfAbsentResult setIfAbsent(byte[] key, byte[] value, long ttlMillis) {
        Object stored = execute("SET NX", false, commands -> commands.set(key, value, SetArgs.Builder.nx().px(ttlMillis)));
        if (stored == FAILED) {
            return SetIfAbsentResult.FAILED;
        }
        if ("OK".equals(stored)) {
            return SetIfAbsentResult.STORED;
        }
        Object existing = execute("GET", false, commands -> commands.get(key));
        if (existing == FAILED) {
            return SetIfAbsentResult.FAILED;
        }
        return new SetIfAbsentResult(false, (byte[]) existing, false);
    }

    /**
     * Runs a Lua script with EVALSHA, sending its source with EVAL when Redis does not know it yet.
     * On a cluster every key must hash to one slot.
     * @param script the script
     * @param output the type of its reply
     * @param keys its keys
     * @param args its arguments
     * @return the reply, or a failed reply when Redis is unavailable or rejected the script
     */
    public ScriptReply eval(LuaScript script, ScriptOutputType output, byte[][] keys, byte[]... args) {
        return scriptReply(execute("EVALSHA", false, evaluate(script, output, keys, args)));
    }

    /**
     * As {@link #eval}, without blocking: for callers that must not park a thread (asynchronous loads).
     * @param script the script
     * @param output the type of its reply
     * @param keys its keys
     * @param args its arguments
     * @return a future of the reply, failed when Redis is unavailable or rejected the script; it never
     *         completes exceptionally
     */
    public CompletableFuture<ScriptReply> evalAsync(LuaScript script, ScriptOutputType output, byte[][] keys,
            byte[]... args) {
        return executeAsync("EVALSHA", evaluate(script, output, keys, args)).thenApply(RedisTier::scriptReply);
    }

    /** EVALSHA, and EVAL with the source when Redis does not know the script yet. */
    static Function<RedisClusterAsyncCommands<byte[], byte[]>, Future<?>> evaluate(LuaScript script,
            ScriptOutputType output, byte[][] keys, byte[]... args) {
        return commands -> commands.<Object>evalsha(script.sha1(), output, keys, args)
                .toCompletableFuture()
                .exceptionallyCompose(error -> isNoScript(error)
                        ? commands.<Object>eval(script.source(), output, keys, args).toCompletableFuture()
                        : CompletableFuture.failedFuture(error));
    }

    static ScriptReply scriptReply(@Nullable Object reply) {
        return (reply == FAILED) ? ScriptReply.FAILED : new ScriptReply(false, reply);
    }

    /**
     * Subscribes a listener to a pub/sub channel, on a subscriber connection this tier opens on
     * first use and closes with the tier. Messages are delivered on the thread that received them,
     * which must not block. Subscribing is asynchronous: messages published before it completes
     * are not received, and a subscription lost with the connection is restored by the container.
     * @param channel the channel
     * @param listener receives each message's body
     */
    public void subscribe(String channel, Consumer<byte[]> listener) {
        synchronized (subscriptionLock) {
            if (closed) {
                return;
            }
            if (subscriptions == null) {
                RedisMessageListenerContainer container = new RedisMessageListenerContainer();
                container.setConnectionFactory(connectionFactory);
                container.setTaskExecutor(Runnable::run);
                container.setErrorHandler(error -> logger.debug("Redis subscription error: " + error));
                container.afterPropertiesSet();
                subscriptions = container;
            }
            subscriptions.addMessageListener((message, pattern) -> listener.accept(message.getBody()),
                    new ChannelTopic(channel));
        }
        ensureSubscribed();
    }

    /**
     * Starts the subscriber connection in the background unless it runs or is starting; a no-op
     * before the first {@link #subscribe(String, Consumer)}.
     */
    public void ensureSubscribed() {
        RedisMessageListenerContainer container = subscriptions;
        if (container == null || container.isRunning() || closed || !subscribing.compareAndSet(false, true)) {
            return;
        }
        try {
            connectExecutor.execute(() -> {
                try {
                    if (!closed) {
                        container.start();
                    }
                }
                catch (RuntimeException ex) {
                    logger.debug("Cannot subscribe yet: " + ex);
                }
                finally {
                    subscribing.set(false);
                }
            });
        }
        catch (RuntimeException ex) {
            subscribing.set(false);
        }
    }

    /**
     * Deletes one key, then writes another with a TTL, pipelined on one connection so that Redis
     * runs them in this order (on a cluster both keys must share a slot). Used to drop a load's
     * lock before a put, so that the load cannot store over it.
     * @param deleteFirst the key deleted first
     * @param key the Redis key written
     * @param value the value
     * @param ttlMillis the time to live, positive
     * @return {@code true} when Redis acknowledged the write
     */
    public boolean deleteThenSet(byte[] deleteFirst, byte[] key, byte[] value, long ttlMillis) {
        return execute("SET", true, commands -> {
            commands.unlink(deleteFirst);
            return commands.set(key, value, SetArgs.Builder.px(ttlMillis));
        }) != FAILED;
    }

    /**
     * Deletes one key, then another, pipelined on one connection so that Redis runs them in this
     * order (on a cluster both keys must share a slot).
     * @param deleteFirst the key deleted first
     * @param key the key deleted second
     * @return the number of keys removed by the second delete (0 or 1), or -1 when Redis is unavailable
     */
    public long deleteThenDelete(byte[] deleteFirst, byte[] key) {
        Object removed = execute("UNLINK", true, commands -> {
            commands.unlink(deleteFirst);
            return commands.unlink(key);
        });
        return (removed == FAILED) ? -1 : (removed == SENT) ? 1 : integerReply(removed);
    }

    /**
     * Deletes a key with UNLINK.
     * @param key the Redis key
     * @return the number of keys removed (0 or 1), or -1 when Redis is unavailable
     */
    public long delete(byte[] key) {
        Object removed = execute("UNLINK", true, commands -> commands.unlink(key));
        return (removed == FAILED) ? -1 : (removed == SENT) ? 1 : integerReply(removed);
    }

    /**
     * Deletes a key with UNLINK without blocking the caller.
     * @param key the Redis key
     * @return a future of the number of keys removed (0 or 1), or -1 when Redis is unavailable; it
     *         never completes exceptionally
     */
    public CompletableFuture<Long> deleteAsync(byte[] key) {
        return executeAsync("UNLINK", commands -> commands.unlink(key))
                .thenApply(result -> (result == FAILED) ? -1L : (Long) result);
    }

    /**
     * Removes every key matching a glob pattern with SCAN and UNLINK; on a cluster the scan covers
     * every master. Never uses KEYS.
     * @param pattern the glob pattern, escaped by the caller
     * @return the number of keys removed, or -1 when Redis became unavailable on the way
     */
    public long deleteMatching(byte[] pattern) {
        ScanArgs args = ScanArgs.Builder.matches(pattern).limit(SCAN_BATCH);
        long removed = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            ScanCursor from = cursor;
            Object page = execute("SCAN", false, commands -> commands.scan(from, args));
            if (page == FAILED) {
                return -1;
            }
            @SuppressWarnings("unchecked")
            KeyScanCursor<byte[]> keys = (KeyScanCursor<byte[]>) Objects.requireNonNull(page);
            List<byte[]> batch = keys.getKeys();
            if (!batch.isEmpty()) {
                Object count = execute("UNLINK", false, commands -> commands.unlink(batch.toArray(new byte[0][])));
                if (count == FAILED) {
                    return -1;
                }
                removed += integerReply(count);
            }
            cursor = keys;
        }
        while (!cursor.isFinished());
        return removed;
    }

    /**
     * Tells whether calls currently go to Redis (the breaker is not open).
     * @return {@code true} unless the breaker refuses calls
     */
    public boolean isAvailable() {
        return breaker.state() != CircuitBreaker.State.OPEN;
    }

    /**
     * The breaker guarding this tier.
     * @return the breaker
     */
    public CircuitBreaker circuitBreaker() {
        return breaker;
    }

    /**
     * Whether this tier talks to a Redis Cluster.
     * @return {@code true} for a cluster
     */
    public boolean isCluster() {
        return connections.isCluster();
    }

    /**
     * Counts of calls that did not reach a result.
     * @return failures (including timeouts), timeouts, and calls refused by the open breaker
     */
    public Stats stats() {
        return runner.stats();
    }

    @Override
    public void close() {
        RedisMessageListenerContainer container;
        synchronized (subscriptionLock) {
            closed = true;
            container = subscriptions;
            subscriptions = null;
        }
        if (container != null) {
            try {
                container.destroy();
            }
            catch (Exception ex) {
                logger.debug("Closing the subscriber connection failed: " + ex);
            }
        }
        connections.close();
    }

    /** Runs one command through the {@link CommandRunner}: see {@link CommandRunner#execute}. */
    @Nullable Object execute(String operation, boolean write,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, Future<?>> command) {
        return runner.execute(operation, write, command);
    }

    private CompletableFuture<@Nullable Object> executeAsync(String operation,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, Future<?>> command) {
        return runner.executeAsync(operation, command);
    }

    // UNLINK always answers with an integer; only FAILED and SENT stand in for a reply.
    private static long integerReply(@Nullable Object reply) {
        return (Long) Objects.requireNonNull(reply, "integer reply");
    }

    private static boolean isNoScript(Throwable error) {
        Throwable cause = CommandRunner.unwrap(error);
        return cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT");
    }


    /**
     * The outcome of {@link #setIfAbsent(byte[], byte[], long)}.
     * @param stored whether the value was written
     * @param existing the value already there when it was not written ({@code null} if it vanished
     *        in between)
     * @param failed whether Redis was unavailable
     */
    public record SetIfAbsentResult(boolean stored, byte @Nullable [] existing, boolean failed) {
        static final SetIfAbsentResult STORED = new SetIfAbsentResult(true, null, false);
        static final SetIfAbsentResult FAILED = new SetIfAbsentResult(false, null, true);
    }

    /**
     * The reply of {@link #eval(LuaScript, ScriptOutputType, byte[][], byte[]...)}.
     * @param failed whether Redis was unavailable or rejected the script
     * @param value the script's reply when it ran
     */
    public record ScriptReply(boolean failed, @Nullable Object value) {
        static final ScriptReply FAILED = new ScriptReply(true, null);
    }

    /**
     * A Lua script and its SHA-1 digest, for EVALSHA.
     * @param source the script
     * @param sha1 its digest in lower-case hex
     */
    public record LuaScript(String source, String sha1) {

        /**
         * Prepares a script.
         * @param source the script
         * @return the script with its digest
         */
        public static LuaScript of(String source) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
                return new LuaScript(source, HexFormat.of().formatHex(digest));
            }
            catch (NoSuchAlgorithmException ex) {
                throw new IllegalStateException("SHA-1 is not available", ex);
            }
        }
    }

    /**
     * Failure counts of a {@link RedisTier}.
     * @param failures calls that failed or timed out
     * @param timeouts calls that timed out
     * @param rejected calls not made because the breaker was open
     */
    public record Stats(long failures, long timeouts, long rejected) {
    }
}
