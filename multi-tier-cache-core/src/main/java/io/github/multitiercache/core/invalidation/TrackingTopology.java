package io.github.multitiercache.core.invalidation;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Which masters {@link KeyTracking} keeps a {@link TrackingLink} to, and how a link's connection
 * is opened: for a standalone server (or Sentinel's master), one link over the application's own
 * Lettuce client; for a Cluster, one link per master that holds slots, each a plain connection
 * opened by a client of this class's own (sharing the cluster client's resources and options, with
 * automatic reconnection off), following the topology that the cluster client knows.
 *
 * <p>A master's heartbeat key carries a hash tag chosen so that the key lives on that master; when
 * the master no longer owns that slot, its link is replaced.
 */
final class TrackingTopology {

    private final LettuceConnectionFactory connectionFactory;
    private final String keyPrefix;
    private final String instance;
    private final String clientName;
    private final TrackingLink.Events events;
    private final ConcurrentMap<String, TrackingLink> links = new ConcurrentHashMap<>();
    private volatile @Nullable RedisClient nodeClient;
    private volatile boolean known;
    private volatile boolean incomplete;
    private volatile long lastRefreshNanos;

    TrackingTopology(LettuceConnectionFactory connectionFactory, String keyPrefix, String instance,
            String clientName, TrackingLink.Events events) {
        this.connectionFactory = connectionFactory;
        this.keyPrefix = keyPrefix;
        this.instance = instance;
        this.clientName = clientName;
        this.events = events;
    }

    /** @return the links to the masters tracked now */
    Collection<TrackingLink> links() {
        return links.values();
    }

    /**
     * Prepares the links: the standalone one, trusted from {@code now}; or the client of a
     * cluster's nodes, whose links {@link #follow} creates.
     */
    void start(long now) {
        AbstractRedisClient client = connectionFactory.getRequiredNativeClient();
        if (client instanceof RedisClusterClient clusterClient) {
            RedisClient nodes = RedisClient.create(clusterClient.getResources());
            // Lettuce would reconnect a node's connection without tracking: links reopen themselves.
            nodes.setOptions(ClientOptions.copyOf(clusterClient.getOptions()).mutate().autoReconnect(false).build());
            nodeClient = nodes;
        }
        else {
            TrackingLink link = new TrackingLink("Redis", keyPrefix, heartbeatBase() + ":" + instance + ":", events,
                    null);
            link.lastHeartbeatBackSentNanos = now;
            links.put("Redis", link);
        }
    }

    /**
     * For a cluster, keeps one link per master as the cluster client knows them, and asks the client
     * to reload the topology while a link is down or degraded (a failover), at most once per
     * {@code refreshNanos}, or while some slots have no live master ({@link #isIncomplete()}). A
     * master that appears after the first topology starts degraded: it has reported nothing to us yet.
     * @return whether the set of links changed
     */
    boolean follow(long now, long refreshNanos) {
        if (!(connectionFactory.getRequiredNativeClient() instanceof RedisClusterClient clusterClient)) {
            return false;
        }
        boolean unsettled = incomplete || links.isEmpty()
                || links.values().stream().anyMatch(link -> link.degraded || !link.isOpen());
        if (unsettled && now - lastRefreshNanos > refreshNanos) {
            lastRefreshNanos = now;
            clusterClient.refreshPartitionsAsync();
        }
        Partitions partitions = clusterClient.getPartitions();
        Set<String> masters = new HashSet<>();
        boolean changed = false;
        int covered = 0;
        for (RedisClusterNode node : partitions) {
            if (!node.is(RedisClusterNode.NodeFlag.UPSTREAM) || node.is(RedisClusterNode.NodeFlag.FAIL)
                    || node.hasNoSlots()) {
                continue;
            }
            covered += node.getSlots().size();
            String address = node.getUri().getHost() + ":" + node.getUri().getPort();
            String id = node.getNodeId() + "@" + address;
            TrackingLink existing = links.get(id);
            if (existing != null && ownsSlot(partitions, existing.heartbeatKeyBase(), node)) {
                masters.add(id);
                continue;
            }
            String base = heartbeatKeyBase(partitions, node);
            if (base == null) {
                // No key of the prefix maps to this master (the prefix holds a hash tag): nothing to track.
                continue;
            }
            masters.add(id);
            TrackingLink link = new TrackingLink(address, keyPrefix, base, events, nodeUri(node));
            if (known) {
                link.degraded = true;
            }
            else {
                link.lastHeartbeatBackSentNanos = now;
            }
            TrackingLink replaced = links.put(id, link);
            if (replaced != null) {
                replaced.close();
            }
            changed = true;
        }
        known = known || !masters.isEmpty();
        boolean wasIncomplete = incomplete;
        // Slots without a live master as the client sees it: a failover under way, whose new master
        // may take writes before this instance knows it. Distrusted, and reloaded, until it is known.
        incomplete = covered < SlotHash.SLOT_COUNT;
        changed |= wasIncomplete != incomplete;
        changed |= links.entrySet().removeIf(entry -> {
            if (masters.contains(entry.getKey())) {
                return false;
            }
            // No longer a master: its keys are now tracked on their new master's link.
            entry.getValue().close();
            return true;
        });
        return changed;
    }

    /** @return whether some slots have no live master in the topology as last seen (a cluster only) */
    boolean isIncomplete() {
        return incomplete;
    }

    /** @return what opens a connection for the link */
    Supplier<StatefulRedisConnection<byte[], byte[]>> connector(TrackingLink link) {
        RedisClient nodes = nodeClient;
        RedisURI uri = link.uri();
        if (nodes != null && uri != null) {
            return () -> named(nodes.connect(ByteArrayCodec.INSTANCE, uri));
        }
        AbstractRedisClient client = connectionFactory.getRequiredNativeClient();
        if (!(client instanceof RedisClient redisClient)) {
            throw new IllegalStateException("Unsupported Lettuce client " + client.getClass().getName());
        }
        return () -> {
            StatefulRedisConnection<byte[], byte[]> connection = redisClient.connect(ByteArrayCodec.INSTANCE);
            int database = connectionFactory.getDatabase();
            if (database != 0) {
                // The heartbeat keys go where the caches' keys are.
                connection.sync().select(database);
            }
            return named(connection);
        };
    }

    private StatefulRedisConnection<byte[], byte[]> named(StatefulRedisConnection<byte[], byte[]> connection) {
        connection.async().clientSetname(clientName.getBytes(StandardCharsets.UTF_8));
        return connection;
    }

    private static boolean ownsSlot(Partitions partitions, String key, RedisClusterNode node) {
        RedisClusterNode owner = partitions.getPartitionBySlot(SlotHash.getSlot(key));
        return owner != null && owner.getNodeId().equals(node.getNodeId());
    }

    /** The start of a heartbeat key that lives on this master: a hash tag that maps to one of its slots. */
    private @Nullable String heartbeatKeyBase(Partitions partitions, RedisClusterNode node) {
        for (int tag = 0; tag < 100_000; tag++) {
            String base = heartbeatBase() + "{" + tag + "}:" + instance + ":";
            if (ownsSlot(partitions, base, node)) {
                return base;
            }
        }
        return null;
    }

    private String heartbeatBase() {
        return (keyPrefix.isEmpty() ? "" : keyPrefix + ":") + TrackedKey.HEARTBEAT_SEGMENT;
    }

    private RedisURI nodeUri(RedisClusterNode node) {
        RedisURI.Builder uri = RedisURI.Builder.redis(node.getUri().getHost(), node.getUri().getPort())
                .withSsl(connectionFactory.isUseSsl());
        RedisClusterConfiguration cluster = connectionFactory.getClusterConfiguration();
        if (cluster != null && cluster.getPassword().isPresent()) {
            char[] password = cluster.getPassword().get();
            String username = cluster.getUsername();
            uri = (username != null) ? uri.withAuthentication(username, password) : uri.withPassword(password);
        }
        return uri.build();
    }

    /** Closes every link and the client of the cluster's nodes. */
    void close() {
        links.values().forEach(TrackingLink::close);
        links.clear();
        RedisClient nodes = nodeClient;
        nodeClient = null;
        if (nodes != null) {
            nodes.shutdownAsync(0, 2, TimeUnit.SECONDS);
        }
    }
}
