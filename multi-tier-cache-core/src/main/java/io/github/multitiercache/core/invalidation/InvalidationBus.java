package io.github.multitiercache.core.invalidation;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledFuture;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.InvalidationPublisher;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TagClock;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.redis.RedisTier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * Tells the other instances which L1 entries are out of date, over Redis pub/sub, and keeps this
 * instance's L1 from being served beyond a stated bound when it may have missed such a message.
 *
 * <p><b>Sending</b> (group commit). Puts, evicts and clears are queued, de-duplicated. While fewer
 * than two invalidation batches are published and not yet acknowledged by Redis, the queue goes
 * out at once, on the writing thread: on an idle bus a change waits for nothing. Changes queued
 * while two are in flight wait for the first acknowledgement and then go out together, from the
 * thread that received it. So the bus publishes at most two batches per round trip to Redis
 * whatever the write rate (a batch larger than {@code maxKeysPerMessage} keys is split into
 * several messages): a burst of evictions from many threads becomes a few messages per round trip,
 * and a slower Redis gets fewer, larger ones. A non-zero {@code batchWindow} also keeps two batches
 * at least that far apart, a hard cap on the message rate at the price of up to one window of lag.
 * A batch is drained, numbered and handed to Redis under one lock, and never on a Redis I/O thread
 * (Netty would write it there at once, ahead of messages other threads had handed over), so
 * messages reach Redis in the order of their numbers. {@link #stop()} sends what is queued before
 * its goodbye.
 *
 * <p><b>Receiving.</b> Messages from this instance are ignored. Each sender numbers its messages;
 * a gap in a sender's numbers, a sender that falls silent without saying goodbye, a
 * (re)subscription to the channel, or an unreadable message each drop this instance's whole L1
 * (an epoch bump of the {@link L1Guard}) the moment it is detected.
 *
 * <p><b>Health.</b> Every {@code heartbeatInterval} the bus publishes a heartbeat and checks that
 * it has received one of its own heartbeats sent within {@code maxStaleness − heartbeatInterval}.
 * When it has not (a dead, paused or half-open subscription, or Redis gone), the guard is degraded:
 * L1 is dropped and new L1 entries live at most {@code degradedL1Ttl}. Receiving an own heartbeat
 * that came back fast enough to pass the next check too restores it: its round trip is at most
 * {@code maxStaleness − 2 × heartbeatInterval}, or half the window when that is longer. An older
 * one (a publish Lettuce queued while disconnected and sent on reconnecting) does not, nor does
 * one received while the Redis tier's circuit breaker is not closed (the heartbeats that follow
 * are refused), since the next check would degrade L1 again at once. Pub/sub
 * delivers one connection's messages in order, so an own heartbeat received proves that every
 * invalidation published before it was received too; hence no L1 entry is served more than
 * {@code maxStaleness} after an invalidation this instance missed.
 *
 * <p><b>Log.</b> One line per change of state: a WARN when L1 becomes degraded, an INFO when it is
 * trusted again. Gaps are logged as one WARN per episode, which counts what it covered (senders,
 * lost messages, resubscriptions): once the channel has been live without a new gap for
 * {@code maxStaleness}, or after a minute of gaps without such a pause, and at
 * {@link #stop()}. A Redis restart thus logs one degraded WARN, one live INFO and one gap WARN
 * per instance, however many gaps it caused.
 *
 * <p>The bus receives and checks messages, and runs the heartbeat; it sends through its
 * {@link Outbox} and keeps L1's trust in its {@link ChannelTrust}.
 *
 * <p>The bus owns a {@link RedisMessageListenerContainer} that dispatches each message on the
 * thread that received it, so messages are handled in the order Redis delivered them (a container
 * that hands messages to a pool, as a shared one does by default, may reorder them, and a reordered
 * heartbeat would prove nothing); the bus never blocks that thread. It also owns one scheduler
 * thread, {@code mtc-invalidation-1}, for the heartbeat, the batch window's flushes and batches
 * that become sendable on a Redis I/O thread. Both live from {@link #start()} to
 * {@link #destroy()}.
 */
public final class InvalidationBus implements InvalidationPublisher, MessageListener, SubscriptionListener,
        SmartLifecycle, DisposableBean {

    private static final Log logger = LogFactory.getLog(InvalidationBus.class);

    private final RedisMessageListenerContainer container;
    private final ThreadPoolTaskScheduler scheduler;
    private final L1Guard guard;
    private final InvalidationSettings settings;
    private final LongSupplier nanoClock;
    private final Clock clock;
    private final String sender = UUID.randomUUID().toString();
    private final ConcurrentMap<String, TieredCache> caches = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, SenderState> senders = new ConcurrentHashMap<>();
    private final InvalidationStatistics statistics = new InvalidationStatistics();
    private final Outbox outbox;
    private final ChannelTrust trust;

    private volatile long subscribedAtNanos;
    private volatile boolean running;
    private volatile @Nullable ScheduledFuture<?> ticks;
    private volatile LongConsumer lagListener = lag -> { };
    private volatile @Nullable TagClock tagClock;

    /**
     * Creates a bus; {@link #start()} subscribes and starts the heartbeats.
     * @param redis publishes messages
     * @param connectionFactory subscribes to the channel
     * @param guard the L1 guard of the caches this bus serves
     * @param settings the channel and its timing
     * @param nanoClock monotonic time, {@code System::nanoTime} outside tests
     * @param clock wall-clock time, for message timestamps
     */
    public InvalidationBus(RedisTier redis, RedisConnectionFactory connectionFactory, L1Guard guard,
            InvalidationSettings settings, LongSupplier nanoClock, Clock clock) {
        Objects.requireNonNull(redis, "redis");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.container = new RedisMessageListenerContainer();
        container.setConnectionFactory(connectionFactory);
        container.setTaskExecutor(Runnable::run);
        container.setRecoveryInterval(settings.heartbeatInterval().toMillis());
        container.setErrorHandler(error -> logger.warn("Invalidation channel error: " + error));
        container.addMessageListener(this, new ChannelTopic(settings.channel()));
        container.afterPropertiesSet();
        this.scheduler = new ThreadPoolTaskScheduler();
        scheduler.setPoolSize(1);
        scheduler.setThreadNamePrefix("mtc-invalidation-");
        scheduler.setDaemon(true);
        scheduler.setWaitForTasksToCompleteOnShutdown(false);
        this.outbox = new Outbox(redis, settings.channel().getBytes(StandardCharsets.UTF_8), sender, settings,
                statistics, scheduler, nanoClock, clock, () -> running);
        this.trust = new ChannelTrust(guard, settings, statistics, redis.circuitBreaker(), sender, nanoClock);
    }

    /**
     * Sets a listener told the propagation lag, in microseconds, of every message received from
     * another instance (sender's clock to receiver's clock).
     * @param lagListener the listener
     */
    public void setLagListener(LongConsumer lagListener) {
        this.lagListener = Objects.requireNonNull(lagListener, "lagListener");
    }

    /** @return this instance's sender id */
    public String senderId() {
        return sender;
    }

    /** @return the settings */
    public InvalidationSettings settings() {
        return settings;
    }

    /** @return the running counts of this bus */
    public InvalidationStatistics statistics() {
        return statistics;
    }

    /** @return whether the channel is currently trusted (own heartbeats arrive in time) */
    public boolean isHealthy() {
        return running && !guard.isDegraded();
    }

    /** @return the number of other instances heard from recently */
    public int peerCount() {
        return senders.size();
    }

    // ---- publishing --------------------------------------------------------------------------

    @Override
    public void register(TieredCache cache) {
        caches.put(cache.name(), cache);
    }

    /**
     * @param name a cache's name
     * @return the cache of that name registered with this bus, or {@code null}
     */
    @Nullable TieredCache cache(String name) {
        return caches.get(name);
    }

    @Override
    public void register(TagClock clock) {
        this.tagClock = clock;
    }

    /**
     * Announces tag evictions, split into messages of at most {@code maxKeysPerMessage} tags. Sent
     * at once, not batched with key invalidations: their order relative to those does not matter.
     */
    @Override
    public void tagsEvicted(Map<String, Long> times) {
        if (!running || times.isEmpty()) {
            return;
        }
        int limit = settings.maxKeysPerMessage();
        Map<String, Long> part = new LinkedHashMap<>();
        for (Map.Entry<String, Long> entry : times.entrySet()) {
            part.put(entry.getKey(), entry.getValue());
            if (part.size() == limit) {
                outbox.publish(InvalidationMessage.TAGS, null, null, Map.copyOf(part));
                part.clear();
            }
        }
        if (!part.isEmpty()) {
            outbox.publish(InvalidationMessage.TAGS, null, null, Map.copyOf(part));
        }
    }

    @Override
    public void keysChanged(String cacheName, String keyText) {
        outbox.keyChanged(cacheName, keyText);
    }

    /** Queues every key before sending: they leave together, split only by {@code max-keys-per-message}. */
    @Override
    public void keysChanged(String cacheName, Collection<String> keyTexts) {
        outbox.keysChanged(cacheName, keyTexts);
    }

    @Override
    public void cacheCleared(String cacheName) {
        outbox.cacheCleared(cacheName);
    }

    @Override
    public void hotKeys(String cacheName, List<String> keyTexts, long leaseMillis) {
        if (!running || keyTexts.isEmpty()) {
            return;
        }
        int limit = settings.maxKeysPerMessage();
        for (int from = 0; from < keyTexts.size(); from += limit) {
            List<String> keys = List.copyOf(keyTexts.subList(from, Math.min(keyTexts.size(), from + limit)));
            outbox.publish(InvalidationMessage.HOT_KEYS, null,
                    List.of(new InvalidationMessage.Operation(cacheName, keys, null, leaseMillis)));
        }
    }

    // ---- receiving ---------------------------------------------------------------------------

    @Override
    public void onMessage(Message message, byte @Nullable [] pattern) {
        InvalidationMessage received;
        try {
            received = InvalidationMessage.fromBytes(message.getBody());
        }
        catch (IllegalArgumentException ex) {
            // It may have carried an invalidation: distrust everything.
            long now = nanoClock.getAsLong();
            trust.gap(report -> report.unreadable(String.valueOf(ex.getMessage()), now));
            return;
        }
        if (sender.equals(received.sender())) {
            if (InvalidationMessage.HEARTBEAT.equals(received.type()) && received.senderNanos() != null) {
                trust.ownHeartbeat(received.senderNanos(), running);
            }
            return;
        }
        statistics.messagesReceived.increment();
        statistics.lastReceivedAtMillis = clock.millis();
        long lag = Outbox.micros(clock) - received.sentAtMicros();
        lagListener.accept(Math.max(0, lag));
        checkSequence(received);
        if (InvalidationMessage.BYE.equals(received.type())) {
            senders.remove(received.sender());
            return;
        }
        if (InvalidationMessage.TAGS.equals(received.type())) {
            TagClock clock = tagClock;
            Map<String, Long> tags = received.tags();
            if (clock != null && tags != null) {
                clock.evicted(tags);
            }
            return;
        }
        if (received.operations() == null) {
            return;
        }
        if (InvalidationMessage.HOT_KEYS.equals(received.type())) {
            announce(received.operations());
        }
        else if (InvalidationMessage.INVALIDATE.equals(received.type())) {
            apply(received.operations());
        }
    }

    private void checkSequence(InvalidationMessage received) {
        long now = nanoClock.getAsLong();
        SenderState known = senders.get(received.sender());
        if (known == null) {
            senders.put(received.sender(), new SenderState(received.sequence(), now));
            // A sender heard first in mid-sequence, long after we subscribed: we lost its earlier messages.
            boolean settled = now - subscribedAtNanos > 2 * settings.heartbeatInterval().toNanos();
            if (received.sequence() > 1 && settled && !InvalidationMessage.HEARTBEAT.equals(received.type())) {
                trust.gap(report -> report.firstInMidSequence(received.sender(), received.sequence(), now));
            }
            return;
        }
        long expected = known.lastSequence + 1;
        if (received.sequence() > known.lastSequence) {
            known.lastSequence = received.sequence();
        }
        known.lastSeenNanos = now;
        if (received.sequence() > expected) {
            trust.gap(report -> report.lost(received.sender(), received.sequence() - expected, now));
        }
    }

    private void apply(List<InvalidationMessage.Operation> operations) {
        for (InvalidationMessage.Operation operation : operations) {
            TieredCache cache = caches.get(operation.cache());
            if (cache == null) {
                continue;
            }
            if (operation.clearsAll()) {
                cache.clearLocal();
                statistics.keysReceived.increment();
            }
            else if (operation.keys() != null) {
                for (String key : operation.keys()) {
                    cache.invalidateLocal(key);
                }
                statistics.keysReceived.add(operation.keys().size());
            }
        }
    }

    private void announce(List<InvalidationMessage.Operation> operations) {
        for (InvalidationMessage.Operation operation : operations) {
            TieredCache cache = caches.get(operation.cache());
            if (cache != null && operation.keys() != null && operation.leaseMillis() != null) {
                cache.hotKeysAnnounced(operation.keys(), operation.leaseMillis());
            }
        }
    }

    @Override
    public void onChannelSubscribed(byte[] subscribed, long count) {
        long now = nanoClock.getAsLong();
        boolean resubscription = subscribedAtNanos != 0;
        subscribedAtNanos = now;
        if (resubscription) {
            // Messages published while we were not subscribed are lost for good.
            trust.gap(report -> report.resubscribed(now));
        }
        else {
            // Entries filled before the first subscription may have missed invalidations.
            guard.invalidateAll();
        }
    }

    @Override
    public void onChannelUnsubscribed(byte[] unsubscribed, long count) {
        if (running) {
            trust.degrade("unsubscribed from " + settings.channel());
        }
    }

    // ---- heartbeat and health ----------------------------------------------------------------

    /** Checks the channel's health, then sends a heartbeat; runs every heartbeat interval. */
    void tick() {
        if (!running) {
            return;
        }
        try {
            if (!container.isRunning()) {
                startContainer();
            }
            long now = nanoClock.getAsLong();
            trust.checkHeartbeats(now);
            long silence = settings.maxStaleness().toNanos();
            senders.forEach((id, state) -> {
                if (now - state.lastSeenNanos > silence && senders.remove(id, state)) {
                    // It may have published invalidations we never received (a partitioned writer).
                    trust.gap(report -> report.silent(id, now));
                }
            });
            trust.reportGapsIfDue(now);
            statistics.heartbeatsSent.increment();
            outbox.publish(InvalidationMessage.HEARTBEAT, now, null);
        }
        catch (RuntimeException ex) {
            logger.warn("Invalidation heartbeat failed: " + ex);
        }
    }

    /** Subscribes; when Redis is unreachable the next tick tries again, and L1 stays degraded until then. */
    private void startContainer() {
        try {
            container.start();
        }
        catch (RuntimeException ex) {
            logger.warn("Cannot subscribe to " + settings.channel() + " yet, retrying every "
                    + settings.heartbeatInterval() + ": " + ex.getMessage());
        }
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    @Override
    public void start() {
        if (running) {
            return;
        }
        trust.started();
        running = true;
        scheduler.initialize();
        startContainer();
        ticks = scheduler.scheduleAtFixedRate(this::tick, settings.heartbeatInterval());
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        ScheduledFuture<?> scheduled = ticks;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        // Whatever is queued goes out before the goodbye, after which receivers forget this sender.
        outbox.sendQueuedThenBye();
        container.stop();
        scheduler.shutdown();
        trust.reportGaps();
    }

    @Override
    public void destroy() {
        stop();
        try {
            container.destroy();
        }
        catch (Exception ex) {
            logger.debug("Closing the invalidation listener container failed: " + ex);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private static final class SenderState {

        volatile long lastSequence;
        volatile long lastSeenNanos;

        SenderState(long lastSequence, long lastSeenNanos) {
            this.lastSequence = lastSequence;
            this.lastSeenNanos = lastSeenNanos;
        }
    }
}
