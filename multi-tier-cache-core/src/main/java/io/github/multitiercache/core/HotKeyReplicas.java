package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import io.github.multitiercache.core.hotkey.ReplicaTags;
import io.github.multitiercache.core.redis.RedisTier;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The Redis side of one cache's hot keys: on a Redis Cluster, with {@code hot-keys.replicas > 0}, a
 * hot key's value is also kept under that many keys {@code <prefix>:<cache>%hot{<tag>}:<key>} whose
 * hash tags ({@link ReplicaTags}) spread them over the slot space. Which keys have replicas, and
 * when they may be read, is {@link HotKeys}'s decision; this class only names and moves them. On
 * standalone Redis, or without replicas, every operation does nothing.
 */
final class HotKeyReplicas {

    private static final Log logger = LogFactory.getLog(HotKeys.class);

    private final @Nullable RedisTier redis;
    private final byte[][] prefixes;

    /**
     * @param cacheName the cache, for messages
     * @param replicas the configured number of replicas per hot key
     * @param redis the cache's Redis tier, or {@code null} without L2
     * @param namespace the start of every replica key, {@code <prefix>:<cache>%hot}
     */
    HotKeyReplicas(String cacheName, int replicas, @Nullable RedisTier redis, String namespace) {
        boolean replicate = redis != null && replicas > 0 && redis.isCluster();
        if (replicate && namespace.indexOf('{') >= 0) {
            logger.warn("Cache '" + cacheName + "': hot keys are not replicated, the key prefix or cache name holds"
                    + " a hash tag ('{'), which would place every replica in one slot");
            replicate = false;
        }
        this.redis = replicate ? redis : null;
        if (replicate) {
            String[] tags = ReplicaTags.of(replicas);
            this.prefixes = new byte[tags.length][];
            for (int i = 0; i < tags.length; i++) {
                prefixes[i] = (namespace + "{" + tags[i] + "}:").getBytes(StandardCharsets.UTF_8);
            }
        }
        else {
            this.prefixes = new byte[0][];
        }
    }

    /** @return whether hot keys get replicas in Redis */
    boolean active() {
        return redis != null;
    }

    /** @return the number of replicas of each hot key, 0 when not replicating */
    int count() {
        return prefixes.length;
    }

    /**
     * @param index the replica, from 0
     * @param text the key's text form
     * @return {@code <prefix>:<cache>%hot{<tag>}:<key>}
     */
    byte[] key(int index, String text) {
        return KeySpace.concat(prefixes[index], text);
    }

    /** @return one of the key's replicas, chosen at random; only while {@link #active()} */
    byte[] random(String text) {
        return key(ThreadLocalRandom.current().nextInt(prefixes.length), text);
    }

    /**
     * Copies a value read from the key itself to a replica that missed, and deletes it again when
     * the key was invalidated meanwhile.
     */
    void refill(byte[] replicaKey, byte[] value, long ttlMillis, FillGuard fills, String text, long ticket) {
        RedisTier redis = this.redis;
        if (redis == null || ttlMillis <= 0) {
            return;
        }
        redis.setAsync(replicaKey, value, ttlMillis).thenRun(() -> {
            if (!fills.isCurrent(text, ticket)) {
                redis.deleteAsync(replicaKey);
            }
        });
    }

    /** Writes a value to every replica of a key. */
    CompletableFuture<?> writeAll(String text, byte[] value, long ttlMillis) {
        RedisTier redis = this.redis;
        if (redis == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?>[] writes = new CompletableFuture<?>[prefixes.length];
        for (int i = 0; i < writes.length; i++) {
            writes[i] = redis.setAsync(key(i, text), value, ttlMillis);
        }
        return CompletableFuture.allOf(writes);
    }

    /** Deletes every replica of a key. */
    CompletableFuture<?> deleteAll(String text) {
        RedisTier redis = this.redis;
        if (redis == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?>[] deletes = new CompletableFuture<?>[prefixes.length];
        for (int i = 0; i < deletes.length; i++) {
            deletes[i] = redis.deleteAsync(key(i, text));
        }
        return CompletableFuture.allOf(deletes);
    }

    /** @return the bytes of a key, read to be copied to its replicas; {@code null} when absent or not replicating */
    byte @Nullable [] read(byte[] key) {
        RedisTier redis = this.redis;
        return (redis != null) ? redis.get(key) : null;
    }

    /**
     * Waits for replica writes, each bounded by the command timeout; never on an I/O event-loop
     * thread (a write from a reactive pipeline), whose replies it would itself have to deliver.
     */
    static void await(CompletableFuture<?> done) {
        if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
            done.join();
        }
    }
}
