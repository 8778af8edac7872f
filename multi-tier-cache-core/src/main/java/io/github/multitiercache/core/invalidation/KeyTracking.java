package io.github.multitiercache.core.invalidation;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TieredCache;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Makes changes to the caches' Redis keys that no instance announced (a write by another program,
 * Redis expiring or evicting a key) drop the L1 copies of this instance at once, through RESP3
 * client-side tracking in broadcast mode, and keeps L1 from being trusted while that may have
 * failed.
 *
 * <p><b>Connections.</b> One {@link TrackingLink} per Redis master: the standalone server (or
 * Sentinel's master, which Lettuce resolves), or every master of a Cluster, following the
 * topology as Lettuce sees it (it is refreshed while a link is down). Each link turns on
 * {@code CLIENT TRACKING on BCAST PREFIX <key-prefix>:}; Redis then pushes the name of every key
 * under the prefix that changes, whoever changed it. A push naming a cache's value drops that key
 * from the cache's L1 ({@link TieredCache#invalidateLocal}); a flush drops the whole L1. Pushes of
 * hot-key replicas, lock keys and keys of no registered cache are ignored.
 *
 * <p><b>Own writes.</b> Redis reports the writes of this library too. The bus keeps announcing
 * them (and clears, and hot keys, which tracking cannot say); a key written here is thus dropped
 * from this instance's L1 once more when its push arrives, milliseconds after the write, and is
 * read from Redis at its next read. Nothing is missed: a fill that races with the push is refused
 * by the key's fill generation.
 *
 * <p><b>Loss.</b> A link's pushes are delivered in order on its connection, so the push of a key
 * this instance wrote on that connection (a heartbeat, every {@code heartbeatInterval}) proves
 * that every change Redis made before it was reported. The rules are the bus's: a link whose own
 * heartbeat sent within {@code maxStaleness − heartbeatInterval} has not come back degrades L1
 * ({@link L1Guard#setTrackingDegraded}); a dropped connection is reopened at once, and a link
 * (re)opened drops the whole L1 once tracking is on (as a resubscription does), then counts as
 * live; a degraded link is live again when a heartbeat comes back fast enough. A link silent for
 * twice {@code maxStaleness} is reopened.
 *
 * <p><b>Unavailable.</b> A server that cannot track for this client (older than Redis 6, a client
 * configured for RESP2, an ACL user without {@code CLIENT}) is reported once; tracking then stays
 * off and the caches work as without it.
 *
 * <p>One scheduler thread, {@code mtc-tracking}, opens links, checks and sends heartbeats;
 * pushes are handled on Lettuce's I/O threads.
 */
public final class KeyTracking implements SmartLifecycle, DisposableBean {

    private static final Log logger = LogFactory.getLog(KeyTracking.class);

    private final LettuceConnectionFactory connectionFactory;
    private final InvalidationBus bus;
    private final L1Guard guard;
    private final String keyPrefix;
    private final InvalidationSettings settings;
    private final LongSupplier nanoClock;
    private final String instance;
    private final TrackingTopology topology;
    private final TrackingLink.Events events = new TrackingLink.Events() {
        @Override
        public void changed(TrackingLink link, @Nullable List<String> keys) {
            onChanged(link, keys);
        }

        @Override
        public void lost(TrackingLink link) {
            onLost(link);
        }
    };

    final LongAdder pushes = new LongAdder();
    final LongAdder keysInvalidated = new LongAdder();
    final LongAdder heartbeatsSent = new LongAdder();
    final LongAdder heartbeatsReceived = new LongAdder();
    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder degradations = new LongAdder();

    private final Object stateLock = new Object();
    private long degradedSinceNanos;
    private volatile boolean running;
    private volatile boolean unavailable;
    private volatile boolean warnedUnreachable;
    private volatile @Nullable ScheduledExecutorService scheduler;

    /**
     * Creates the tracking of one application instance; {@link #start()} opens its connections.
     * @param connectionFactory whose Lettuce client opens the tracking connections
     * @param bus the instance's invalidation bus: its caches, instance id and timing
     * @param guard the L1 guard of the bus
     * @param keyPrefix the key prefix of the caches
     * @param nanoClock monotonic time, {@code System::nanoTime} outside tests
     */
    public KeyTracking(LettuceConnectionFactory connectionFactory, InvalidationBus bus, L1Guard guard,
            String keyPrefix, LongSupplier nanoClock) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
        this.bus = Objects.requireNonNull(bus, "bus");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
        this.settings = bus.settings();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.instance = bus.senderId();
        this.topology = new TrackingTopology(connectionFactory, keyPrefix, instance, clientName(), events);
    }

    /** @return whether tracking runs and every link is trusted */
    public boolean isHealthy() {
        return running && !unavailable && !guard.isTrackingDegraded();
    }

    /** @return whether the server refused tracking, which then stays off */
    public boolean isUnavailable() {
        return unavailable;
    }

    /** @return the client name of this instance's tracking connections, as {@code CLIENT LIST} shows it */
    public String clientName() {
        return TrackingLink.CLIENT_NAME + "-" + instance;
    }

    /** @return the number of keys of registered caches that pushes dropped from L1 */
    public long keysInvalidated() {
        return keysInvalidated.sum();
    }

    /** @return the number of push messages received */
    public long pushes() {
        return pushes.sum();
    }

    /** @return the number of own heartbeats that came back */
    public long heartbeatsReceived() {
        return heartbeatsReceived.sum();
    }

    /** @return the number of tracking connections opened (each drops L1 once) */
    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    /** @return the number of times L1 became degraded because of tracking */
    public long degradations() {
        return degradations.sum();
    }

    /** @return the number of masters tracked now */
    public int linkCount() {
        return topology.links().size();
    }

    // ---- pushes ------------------------------------------------------------------------------

    private void onChanged(TrackingLink link, @Nullable List<String> keys) {
        pushes.increment();
        if (keys == null) {
            guard.invalidateAll();
            return;
        }
        for (String key : keys) {
            TrackedKey tracked = TrackedKey.parse(keyPrefix, key);
            String cacheName = tracked.cache();
            String text = tracked.text();
            if (tracked.kind() == TrackedKey.Kind.VALUE && cacheName != null && text != null) {
                TieredCache cache = bus.cache(cacheName);
                if (cache != null) {
                    cache.invalidateLocal(text);
                    keysInvalidated.increment();
                }
            }
            else if (tracked.kind() == TrackedKey.Kind.HEARTBEAT && text != null) {
                heartbeat(link, text);
            }
        }
    }

    private void heartbeat(TrackingLink link, String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0 || !text.substring(0, colon).equals(instance)) {
            return;
        }
        long sentNanos;
        try {
            sentNanos = Long.parseLong(text.substring(colon + 1));
        }
        catch (NumberFormatException ex) {
            return;
        }
        heartbeatsReceived.increment();
        long roundTrip = nanoClock.getAsLong() - sentNanos;
        link.lastRoundTripNanos = roundTrip;
        if (sentNanos > link.lastHeartbeatBackSentNanos) {
            link.lastHeartbeatBackSentNanos = sentNanos;
        }
        if (link.degraded && link.isOpen() && roundTrip <= recoveryWindowNanos()) {
            link.degraded = false;
            updateTrust(null);
        }
    }

    private void onLost(TrackingLink link) {
        // Like the bus on a resubscription: the next tick opens a new connection, which drops L1
        // once tracking is on; until then the heartbeats bound what the lost pushes can cost.
        ScheduledExecutorService ticks = scheduler;
        if (running && ticks != null) {
            try {
                ticks.execute(this::tick);
            }
            catch (RuntimeException ex) {
                // Stopping.
            }
        }
    }

    // ---- trust -------------------------------------------------------------------------------

    /** Degrades L1 while any link is degraded, logging each transition once. */
    private void updateTrust(@Nullable String reason) {
        boolean degraded = running && !unavailable
                && (topology.isIncomplete() || topology.links().stream().anyMatch(link -> link.degraded));
        long degradedFor;
        synchronized (stateLock) {
            if (degraded == guard.isTrackingDegraded()) {
                return;
            }
            guard.setTrackingDegraded(degraded);
            long now = nanoClock.getAsLong();
            degradedFor = now - degradedSinceNanos;
            if (degraded) {
                degradedSinceNanos = now;
            }
        }
        if (degraded) {
            degradations.increment();
            logger.warn("L1 is degraded (entries live at most " + settings.degradedL1Ttl() + ") after "
                    + ((reason != null) ? reason : "a tracking connection was lost"));
        }
        else if (running) {
            logger.info("Client-side tracking is live again after " + degradedFor / 1_000_000
                    + "ms degraded; L1 is trusted again");
        }
    }

    private long trustWindowNanos() {
        return settings.maxStaleness().minus(settings.heartbeatInterval()).toNanos();
    }

    private long recoveryWindowNanos() {
        long window = trustWindowNanos();
        return window - Math.min(settings.heartbeatInterval().toNanos(), window / 2);
    }

    // ---- the heartbeat tick ------------------------------------------------------------------

    /** Follows the topology, (re)opens links, checks heartbeats and sends the next ones. */
    void tick() {
        if (!running || unavailable) {
            return;
        }
        try {
            long now = nanoClock.getAsLong();
            // Lettuce logs every refresh that cannot reach a node: at most one a second.
            if (topology.follow(now, Math.max(settings.heartbeatInterval().toNanos(), 1_000_000_000L))) {
                updateTrust(topology.isIncomplete() ? "some slots of the cluster have no live master (a failover)"
                        : "a master of the cluster has no tracking connection yet");
            }
            for (TrackingLink link : topology.links()) {
                if (!link.isOpen()) {
                    open(link);
                }
                else if (now - link.lastHeartbeatBackSentNanos > 2 * settings.maxStaleness().toNanos()) {
                    // Open but silent for long (tracking turned off, a half-open connection): start afresh.
                    link.close();
                    open(link);
                }
                if (unavailable) {
                    return;
                }
            }
            now = nanoClock.getAsLong();
            for (TrackingLink link : topology.links()) {
                if (!link.degraded && now - link.lastHeartbeatBackSentNanos > trustWindowNanos()) {
                    link.degraded = true;
                    updateTrust("no tracking heartbeat of this instance came back from " + link.node() + " for "
                            + (now - link.lastHeartbeatBackSentNanos) / 1_000_000 + "ms");
                }
            }
            for (TrackingLink link : topology.links()) {
                if (link.sendHeartbeat(nanoClock.getAsLong(), settings.maxStaleness()) != null) {
                    heartbeatsSent.increment();
                }
            }
        }
        catch (RuntimeException ex) {
            logger.warn("Client-side tracking heartbeat failed: " + ex);
        }
    }

    private void open(TrackingLink link) {
        try {
            long openingNanos = nanoClock.getAsLong();
            link.open(topology.connector(link), settings.maxStaleness());
            // Changes made before tracking was on were never reported here.
            guard.invalidateAll();
            connectionsOpened.increment();
            link.lastHeartbeatBackSentNanos = Math.max(link.lastHeartbeatBackSentNanos, openingNanos);
            warnedUnreachable = false;
            if (link.degraded) {
                link.degraded = false;
                updateTrust(null);
            }
        }
        catch (TrackingLink.UnsupportedException ex) {
            unavailable = true;
            topology.links().forEach(TrackingLink::close);
            updateTrust(null);
            logger.warn("Client-side tracking is not available: " + ex.getMessage() + ". Writes made to the"
                    + " caches' Redis keys outside the library reach L1 only when its entries expire (l1.ttl);"
                    + " set multi-tier-cache.invalidation.tracking.enabled=false to turn tracking off");
        }
        catch (RuntimeException ex) {
            if (!warnedUnreachable) {
                warnedUnreachable = true;
                logger.warn("Cannot open the tracking connection to " + link.node() + " yet, retrying every "
                        + settings.heartbeatInterval() + ": " + ex.getMessage());
            }
        }
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    @Override
    public void start() {
        if (running) {
            return;
        }
        topology.start(nanoClock.getAsLong());
        running = true;
        ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "mtc-tracking");
            thread.setDaemon(true);
            return thread;
        });
        scheduler = ticks;
        long interval = settings.heartbeatInterval().toNanos();
        ticks.scheduleWithFixedDelay(this::tick, 0, interval, TimeUnit.NANOSECONDS);
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        ScheduledExecutorService ticks = scheduler;
        if (ticks != null) {
            ticks.shutdownNow();
            try {
                ticks.awaitTermination(Duration.ofSeconds(2).toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        topology.close();
        guard.setTrackingDegraded(false);
    }

    @Override
    public void destroy() {
        stop();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
