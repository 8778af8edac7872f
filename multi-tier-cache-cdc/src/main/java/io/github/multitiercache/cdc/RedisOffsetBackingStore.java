package io.github.multitiercache.cdc;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Debezium's offsets in a Redis hash ({@code <prefix>:__cdc:<slot>:offsets}, Base64 fields and values).
 * Loaded when the engine starts; written in full on every flush, which the consumer runs after each
 * batch whose evictions are done ({@code offset.flush.interval.ms=0}). A hash found empty (first start,
 * or Redis lost its data) means "no offset": the connector then starts from the replication slot's
 * confirmed position, which it advances only after a flush, so no change is skipped.
 *
 * <p>Debezium instantiates this class itself; it finds its Redis target through {@link #TARGET_PROPERTY},
 * registered by the consumer.
 */
public final class RedisOffsetBackingStore extends MemoryOffsetBackingStore {

    /** The engine property naming the registered target of this store. */
    public static final String TARGET_PROPERTY = "multi-tier-cache.cdc.offset-target";

    private static final Map<String, Target> TARGETS = new ConcurrentHashMap<>();

    private volatile @Nullable Target target;

    record Target(StringRedisTemplate redis, String key) {
    }

    static void register(String id, StringRedisTemplate redis, String key) {
        TARGETS.put(id, new Target(redis, key));
    }

    static void unregister(String id) {
        TARGETS.remove(id);
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        Object id = config.originals().get(TARGET_PROPERTY);
        Target found = (id != null) ? TARGETS.get(id.toString()) : null;
        if (found == null) {
            throw new IllegalStateException("No Redis offset target registered under " + TARGET_PROPERTY + "=" + id);
        }
        this.target = found;
    }

    @Override
    public synchronized void start() {
        super.start();
        Target target = target();
        Map<Object, Object> stored = target.redis().opsForHash().entries(target.key());
        Base64.Decoder decoder = Base64.getDecoder();
        Map<ByteBuffer, ByteBuffer> loaded = new HashMap<>();
        stored.forEach((field, value) -> loaded.put(ByteBuffer.wrap(decoder.decode(field.toString())),
                ByteBuffer.wrap(decoder.decode(value.toString()))));
        data.putAll(loaded);
    }

    @Override
    protected void save() {
        Base64.Encoder encoder = Base64.getEncoder();
        Map<String, String> fields = new HashMap<>();
        data.forEach((key, value) -> {
            if (key != null && value != null) {
                fields.put(encoder.encodeToString(bytes(key)), encoder.encodeToString(bytes(value)));
            }
        });
        if (!fields.isEmpty()) {
            Target target = target();
            target.redis().opsForHash().putAll(target.key(), fields);
        }
    }

    private Target target() {
        Target configured = target;
        if (configured == null) {
            throw new IllegalStateException("RedisOffsetBackingStore used before configure()");
        }
        return configured;
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
