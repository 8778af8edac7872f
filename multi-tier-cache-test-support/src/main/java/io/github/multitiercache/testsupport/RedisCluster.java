package io.github.multitiercache.testsupport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis Cluster of masters only, each a {@link RedisServer} on {@code 127.0.0.1}, for tests.
 *
 * <p>{@link #start(int)} starts the nodes with
 * <pre>
 * --cluster-enabled yes --cluster-config-file nodes-&lt;port&gt;.conf --cluster-node-timeout 2000
 * --cluster-announce-ip 127.0.0.1
 * </pre>
 * gives node {@code i} of {@code n} the contiguous slots {@code [i * 16384 / n, (i + 1) * 16384 / n)} with
 * {@code CLUSTER ADDSLOTS} (which Redis 6.2 understands, unlike {@code ADDSLOTSRANGE}), joins them with
 * {@code CLUSTER MEET}, and returns once every node reports {@code cluster_state:ok}, knows all 16384
 * slots and sees every other node connected at {@code 127.0.0.1}. No {@code redis-cli} is needed. Each
 * node's port + 10000 (its cluster bus port) is free when it starts.
 *
 * <p>The slot assignment never changes: this class adds no replicas and moves no slots, so
 * {@link #nodeForKey(String)} answers from it. A node {@link RedisServer#kill() killed} and
 * {@link RedisServer#restart() restarted} keeps its node id and slots (its cluster config file survives
 * in its directory) but comes back empty; {@link #awaitClusterOk()} waits until the cluster has healed.
 *
 * <pre>{@code
 * try (RedisCluster cluster = RedisCluster.start(3)) {
 *     RedisClusterClient client = RedisClusterClient.create(
 *             RedisURI.create(cluster.nodes().get(0).uri()));
 *     ...
 * }
 * }</pre>
 */
public final class RedisCluster implements AutoCloseable {

    /** Number of hash slots of a Redis Cluster. */
    public static final int SLOTS = 16384;

    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);

    private static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(30);

    private static final int[] CRC16_TABLE = crc16Table();

    private static @Nullable RedisCluster shared;

    private final List<RedisServer> nodes;

    private volatile boolean sharedInstance;

    private RedisCluster(List<RedisServer> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Starts a cluster of {@code masters} masters with the {@link RedisBinary#locate() located} executable.
     *
     * @param masters number of masters, usually 3
     * @return the formed cluster
     * @throws IllegalStateException if a node cannot start or the cluster is not formed within 30 seconds;
     *         the nodes started so far are stopped
     */
    public static RedisCluster start(int masters) {
        return start(RedisBinary.locate(), masters);
    }

    /**
     * Starts a cluster of {@code masters} masters with the given executable, e.g.
     * {@link RedisBinary#embedded()}.
     *
     * @param binary a {@code redis-server} executable (Redis 6.2 or later)
     * @param masters number of masters, at least 1, usually 3
     * @return the formed cluster
     * @throws IllegalStateException if a node cannot start or the cluster is not formed within 30 seconds;
     *         the nodes started so far are stopped
     */
    public static RedisCluster start(Path binary, int masters) {
        if (masters < 1 || masters > SLOTS) {
            throw new IllegalArgumentException("masters must be between 1 and " + SLOTS + ": " + masters);
        }
        List<RedisServer> nodes = new ArrayList<>(masters);
        try {
            for (int i = 0; i < masters; i++) {
                nodes.add(RedisServer.start(binary, port -> List.of(
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes-" + port + ".conf",
                        "--cluster-node-timeout", "2000",
                        "--cluster-announce-ip", RedisServer.HOST), true, false));
            }
            RedisCluster cluster = new RedisCluster(nodes);
            cluster.form();
            log.info("Formed a Redis Cluster of {} masters: {}", masters, cluster.nodeAddresses());
            return cluster;
        } catch (RuntimeException e) {
            for (RedisServer node : nodes) {
                try {
                    node.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private void form() {
        for (int i = 0; i < nodes.size(); i++) {
            RedisServer node = nodes.get(i);
            // distinct epochs up front spare the cluster a round of epoch collision resolution
            node.command("CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
            List<String> addSlots = new ArrayList<>();
            addSlots.add("CLUSTER");
            addSlots.add("ADDSLOTS");
            for (int slot = firstSlot(i); slot < firstSlot(i + 1); slot++) {
                addSlots.add(Integer.toString(slot));
            }
            node.command(addSlots.toArray(new String[0]));
        }
        RedisServer first = nodes.get(0);
        for (RedisServer node : nodes.subList(1, nodes.size())) {
            first.command("CLUSTER", "MEET", node.host(), Integer.toString(node.port()));
        }
        awaitClusterOk(FORMATION_TIMEOUT);
    }

    /**
     * Waits up to 30 seconds until every node reports {@code cluster_state:ok}, knows all slots and sees
     * every other node connected, e.g. after restarting a node.
     *
     * @throws IllegalStateException if that does not happen in time, with every node's view in the message
     */
    public void awaitClusterOk() {
        awaitClusterOk(FORMATION_TIMEOUT);
    }

    private void awaitClusterOk(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String problem = problem();
            if (problem == null) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("Redis Cluster " + nodeAddresses() + " is not ok after "
                        + timeout.toSeconds() + " seconds: " + problem + "\n" + views());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the Redis Cluster", e);
            }
        }
    }

    /** What is still wrong with the cluster, or {@code null} if every node is content. */
    private @Nullable String problem() {
        for (RedisServer node : nodes) {
            String info;
            String clusterNodes;
            try {
                info = String.valueOf(node.command("CLUSTER", "INFO"));
                clusterNodes = String.valueOf(node.command("CLUSTER", "NODES"));
            } catch (RuntimeException e) {
                return node.address() + " does not answer: " + e.getMessage();
            }
            if (!info.contains("cluster_state:ok")) {
                return node.address() + " is not in cluster_state:ok";
            }
            if (!info.contains("cluster_slots_assigned:" + SLOTS + "\r")
                    || !info.contains("cluster_slots_ok:" + SLOTS + "\r")) {
                return node.address() + " does not know all slots";
            }
            List<String> lines = clusterNodes.lines().filter(line -> !line.isBlank())
                    .collect(Collectors.toList());
            if (lines.size() != nodes.size()) {
                return node.address() + " knows " + lines.size() + " nodes";
            }
            for (String line : lines) {
                String[] fields = line.split(" ");
                List<String> flags = fields.length > 2 ? List.of(fields[2].split(",")) : List.of();
                if (fields.length < 8 || !fields[1].startsWith(RedisServer.HOST + ":")
                        || !"connected".equals(fields[7]) || flags.contains("handshake") || flags.contains("fail")
                        || flags.contains("fail?") || flags.contains("noaddr")) {
                    return node.address() + " sees " + line;
                }
            }
        }
        return null;
    }

    private String views() {
        StringBuilder views = new StringBuilder();
        for (RedisServer node : nodes) {
            views.append("--- CLUSTER NODES on ").append(node.address()).append(":\n");
            try {
                views.append(node.command("CLUSTER", "NODES"));
            } catch (RuntimeException e) {
                views.append(e.getMessage()).append('\n').append(node.logTail());
            }
        }
        return views.toString();
    }

    /** The nodes, in the order of their slot ranges (node 0 owns slot 0). */
    public List<RedisServer> nodes() {
        return nodes;
    }

    /**
     * The nodes' {@code "127.0.0.1:port"} addresses, e.g. for {@code spring.data.redis.cluster.nodes}
     * (join them with commas).
     */
    public List<String> nodeAddresses() {
        List<String> addresses = new ArrayList<>(nodes.size());
        for (RedisServer node : nodes) {
            addresses.add(node.address());
        }
        return List.copyOf(addresses);
    }

    /** The nodes' {@code "redis://127.0.0.1:port"} URIs. */
    public List<String> nodeUris() {
        List<String> uris = new ArrayList<>(nodes.size());
        for (RedisServer node : nodes) {
            uris.add(node.uri());
        }
        return List.copyOf(uris);
    }

    /** Runs {@code FLUSHALL} on every master. */
    public void flushAll() {
        for (RedisServer node : nodes) {
            node.flushAll();
        }
    }

    /**
     * The node owning the slot of {@code key}.
     *
     * @param key a Redis key; a hash tag ({@code {...}}) is honoured as by Redis
     * @return the master owning {@link #slotForKey(String) slotForKey(key)}
     */
    public RedisServer nodeForKey(String key) {
        return nodeForSlot(slotForKey(key));
    }

    /**
     * The node owning a slot.
     *
     * @param slot a hash slot, {@code 0} to {@code 16383}
     * @return the master owning it
     */
    public RedisServer nodeForSlot(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("No such slot: " + slot);
        }
        for (int i = nodes.size() - 1; i >= 0; i--) {
            if (slot >= firstSlot(i)) {
                return nodes.get(i);
            }
        }
        throw new AssertionError(slot);
    }

    /** The slot ranges, {@code first-last} inclusive, of each node's address. */
    public Map<String, String> slotRanges() {
        Map<String, String> ranges = new TreeMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            ranges.put(nodes.get(i).address(), firstSlot(i) + "-" + (firstSlot(i + 1) - 1));
        }
        return ranges;
    }

    /**
     * The hash slot of a key as Redis computes it: CRC16 (XMODEM) of the key's UTF-8 bytes, or of its hash
     * tag (the bytes between the first <code>&#123;</code> and the next <code>&#125;</code>, if not
     * empty), modulo 16384.
     *
     * @param key a Redis key
     * @return its slot, {@code 0} to {@code 16383}
     */
    public static int slotForKey(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        int start = 0;
        int end = bytes.length;
        for (int open = 0; open < bytes.length; open++) {
            if (bytes[open] == '{') {
                for (int close = open + 1; close < bytes.length; close++) {
                    if (bytes[close] == '}') {
                        if (close > open + 1) {
                            start = open + 1;
                            end = close;
                        }
                        break;
                    }
                }
                break;
            }
        }
        int crc = 0;
        for (int i = start; i < end; i++) {
            crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ bytes[i]) & 0xff]) & 0xffff;
        }
        return crc & (SLOTS - 1);
    }

    /**
     * One cluster of three masters per JVM, for test classes that neither stop its nodes nor need
     * it empty: each must use key prefixes of its own. Started on first use; its {@link #close()}
     * does nothing, and its nodes are stopped when the JVM exits, like {@link RedisServer#shared()}.
     *
     * @return the running shared cluster
     */
    public static synchronized RedisCluster shared() {
        RedisCluster cluster = shared;
        if (cluster == null || cluster.nodes.stream().anyMatch(node -> !node.isRunning())) {
            if (cluster != null) {
                cluster.sharedInstance = false;
                cluster.close();
            }
            cluster = start(3);
            cluster.sharedInstance = true;
            shared = cluster;
        }
        return cluster;
    }

    /** Stops every node and deletes its directory; does nothing for the {@link #shared()} cluster. */
    @Override
    public void close() {
        if (sharedInstance) {
            return;
        }
        RuntimeException failure = null;
        for (RedisServer node : nodes) {
            try {
                node.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "RedisCluster" + nodeAddresses();
    }

    private int firstSlot(int node) {
        return (int) ((long) node * SLOTS / nodes.size());
    }

    private static int[] crc16Table() {
        int[] table = new int[256];
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            table[i] = crc & 0xffff;
        }
        return table;
    }
}
