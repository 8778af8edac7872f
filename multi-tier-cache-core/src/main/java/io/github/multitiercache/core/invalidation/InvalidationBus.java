package io.github.multitiercache.core.invalidation;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.InvalidationPublisher;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.netty.util.concurrent.FastThreadLocalThread;
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

    private final RedisTier redis;
    private final RedisMessageListenerContainer container;
    private final ThreadPoolTaskScheduler scheduler;
    private final L1Guard guard;
    private final InvalidationSettings settings;
    private final LongSupplier nanoClock;
    private final Clock clock;
    private final String sender = UUID.randomUUID().toString();
    private final byte[] channel;
    private final ChannelTopic topic;
    private final ConcurrentMap<String, TieredCache> caches = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, SenderState> senders = new ConcurrentHashMap<>();
    private final InvalidationStatistics statistics = new InvalidationStatistics();

    /**
     * The most invalidation batches published and not yet acknowledged at one time. One would make
     * a key changed while a publish is under way wait for that round trip; two let it go at once
     * unless writes come faster than two per round trip, and keep the message rate bounded by the
     * round trip all the same.
     */
    private static final int MAX_BATCHES_IN_FLIGHT = 2;

    /** The longest a gap waits to be logged while gaps keep coming without a pause. */
    static final Duration GAP_REPORT_MAX_AGE = Duration.ofMinutes(1);

    // Lock order: sendLock, then queueLock.
    private final Object queueLock = new Object();
    private final Map<String, Set<String>> queuedKeys = new LinkedHashMap<>();
    private final Set<String> queuedClears = new LinkedHashSet<>();
    private int batchesInFlight;
    private boolean flushScheduled;
    private long lastSentNanos;

    private final Object sendLock = new Object();
    private long sequence;

    private volatile long lastOwnHeartbeatSentNanos;

    // Guards the degraded/live transitions, their times and the gap report.
    private final Object stateLock = new Object();
    private final GapReport gapReport;
    private long degradedSinceNanos;
    private long liveSinceNanos;
    private volatile long subscribedAtNanos;
    private volatile boolean running;
    private volatile @Nullable ScheduledFuture<?> ticks;
    private volatile LongConsumer lagListener = lag -> { };

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
        this.redis = Objects.requireNonNull(redis, "redis");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.channel = settings.channel().getBytes(StandardCharsets.UTF_8);
        this.lastSentNanos = nanoClock.getAsLong() - settings.batchWindow().toNanos();
        this.topic = new ChannelTopic(settings.channel());
        this.gapReport = new GapReport(settings.channel());
        this.container = new RedisMessageListenerContainer();
        container.setConnectionFactory(connectionFactory);
        container.setTaskExecutor(Runnable::run);
        container.setRecoveryInterval(settings.heartbeatInterval().toMillis());
        container.setErrorHandler(error -> logger.warn("Invalidation channel error: " + error));
        container.addMessageListener(this, topic);
        container.afterPropertiesSet();
        this.scheduler = new ThreadPoolTaskScheduler();
        scheduler.setPoolSize(1);
        scheduler.setThreadNamePrefix("mtc-invalidation-");
        scheduler.setDaemon(true);
        scheduler.setWaitForTasksToCompleteOnShutdown(false);
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

    @Override
    public void keysChanged(String cacheName, String keyText) {
        synchronized (queueLock) {
            if (!queuedClears.contains(cacheName)) {
                queuedKeys.computeIfAbsent(cacheName, name -> new LinkedHashSet<>()).add(keyText);
            }
        }
        sendQueued();
    }

    @Override
    public void cacheCleared(String cacheName) {
        synchronized (queueLock) {
            queuedKeys.remove(cacheName);
            queuedClears.add(cacheName);
        }
        sendQueued();
    }

    @Override
    public void hotKeys(String cacheName, List<String> keyTexts, long leaseMillis) {
        if (!running || keyTexts.isEmpty()) {
            return;
        }
        int limit = settings.maxKeysPerMessage();
        for (int from = 0; from < keyTexts.size(); from += limit) {
            List<String> keys = List.copyOf(keyTexts.subList(from, Math.min(keyTexts.size(), from + limit)));
            publish(InvalidationMessage.HOT_KEYS, null,
                    List.of(new InvalidationMessage.Operation(cacheName, keys, null, leaseMillis)));
        }
    }

    /**
     * Sends the queued changes as one batch if the bus may send now: fewer than
     * {@link #MAX_BATCHES_IN_FLIGHT} batches in flight and, with a batch window, the window since
     * the last batch passed. Otherwise they wait for an acknowledgement (which calls this again) or
     * for the flush scheduled at the window's end.
     */
    private void sendQueued() {
        synchronized (queueLock) {
            if (!maySend()) {
                return;
            }
        }
        if (Thread.currentThread() instanceof FastThreadLocalThread && sendElsewhere()) {
            return;
        }
        CompletableFuture<?> published;
        synchronized (sendLock) {
            List<InvalidationMessage.Operation> operations;
            synchronized (queueLock) {
                // Another thread may have sent the queue meanwhile.
                if (!maySend()) {
                    return;
                }
                batchesInFlight++;
                lastSentNanos = nanoClock.getAsLong();
                operations = drainQueue();
            }
            // Still under sendLock: a later batch cannot overtake this one on its way to Redis.
            published = publishOperations(operations);
        }
        published.whenComplete((ignored, error) -> {
            synchronized (queueLock) {
                batchesInFlight--;
            }
            sendQueued();
        });
    }

    /**
     * Hands the sending to the bus's own thread. On an I/O event-loop thread (an acknowledgement,
     * a write from a reactive pipeline) Netty writes at once, ahead of writes that other threads
     * handed to that event loop before: a message could reach Redis before one with a lower number,
     * and the receivers would see a gap.
     * @return whether the bus's thread took it; {@code false} once the bus has stopped
     */
    private boolean sendElsewhere() {
        try {
            scheduler.execute(this::sendQueued);
            return true;
        }
        catch (RejectedExecutionException | IllegalStateException ex) {
            return false;
        }
    }

    /**
     * Whether the queue may be sent now; schedules a flush when only the batch window holds it
     * back. Called under {@code queueLock}.
     */
    private boolean maySend() {
        if (flushScheduled || batchesInFlight >= MAX_BATCHES_IN_FLIGHT
                || (queuedKeys.isEmpty() && queuedClears.isEmpty())) {
            return false;
        }
        long wait = settings.batchWindow().toNanos() - (nanoClock.getAsLong() - lastSentNanos);
        if (wait > 0 && running) {
            flushScheduled = true;
            scheduler.schedule(this::scheduledFlush, Instant.now().plusNanos(wait));
            return false;
        }
        return true;
    }

    private void scheduledFlush() {
        synchronized (queueLock) {
            flushScheduled = false;
        }
        sendQueued();
    }

    private List<InvalidationMessage.Operation> drainQueue() {
        List<InvalidationMessage.Operation> operations = new ArrayList<>();
        for (String cache : queuedClears) {
            operations.add(new InvalidationMessage.Operation(cache, null, true));
        }
        queuedKeys.forEach((cache, keys) -> operations.add(new InvalidationMessage.Operation(cache, List.copyOf(keys), null)));
        queuedClears.clear();
        queuedKeys.clear();
        return operations;
    }

    private CompletableFuture<?> publishOperations(List<InvalidationMessage.Operation> operations) {
        List<List<InvalidationMessage.Operation>> messages = split(operations);
        CompletableFuture<?> last = CompletableFuture.completedFuture(null);
        for (List<InvalidationMessage.Operation> message : messages) {
            int keys = message.stream().mapToInt(op -> (op.keys() != null) ? op.keys().size() : 1).sum();
            statistics.keysSent.add(keys);
            last = publish(InvalidationMessage.INVALIDATE, null, message);
        }
        return last;
    }

    /** Splits operations into messages of at most {@code maxKeysPerMessage} keys. */
    private List<List<InvalidationMessage.Operation>> split(List<InvalidationMessage.Operation> operations) {
        int limit = settings.maxKeysPerMessage();
        List<List<InvalidationMessage.Operation>> messages = new ArrayList<>();
        List<InvalidationMessage.Operation> current = new ArrayList<>();
        int size = 0;
        for (InvalidationMessage.Operation operation : operations) {
            List<String> keys = (operation.keys() != null) ? operation.keys() : List.of();
            int from = 0;
            do {
                int room = limit - size;
                if (room == 0) {
                    messages.add(current);
                    current = new ArrayList<>();
                    size = 0;
                    room = limit;
                }
                if (operation.clearsAll()) {
                    current.add(operation);
                    size++;
                    break;
                }
                int to = Math.min(keys.size(), from + room);
                current.add(new InvalidationMessage.Operation(operation.cache(), keys.subList(from, to), null));
                size += to - from;
                from = to;
            }
            while (from < keys.size());
        }
        if (!current.isEmpty()) {
            messages.add(current);
        }
        return messages;
    }

    /**
     * Numbers and publishes one message. Numbering and handing to Redis happen under one lock, so
     * messages reach Redis in the order of their numbers.
     */
    private CompletableFuture<Boolean> publish(String type, @Nullable Long senderNanos,
            @Nullable List<InvalidationMessage.Operation> operations) {
        synchronized (sendLock) {
            InvalidationMessage message = new InvalidationMessage(InvalidationMessage.VERSION, sender, ++sequence,
                    nowMicros(), type, senderNanos, operations);
            byte[] bytes;
            try {
                bytes = message.toBytes();
            }
            catch (RuntimeException ex) {
                // The number is spent: receivers will see the gap and drop their L1.
                statistics.publishFailures.increment();
                logger.warn("Cannot encode an invalidation message: " + ex);
                return CompletableFuture.completedFuture(false);
            }
            return redis.publishAsync(channel, bytes).whenComplete((published, error) -> {
                if (Boolean.TRUE.equals(published)) {
                    statistics.messagesSent.increment();
                }
                else {
                    // The number is spent: receivers will see the gap and drop their L1.
                    statistics.publishFailures.increment();
                }
            });
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
            gap(now, () -> gapReport.unreadable(String.valueOf(ex.getMessage()), now));
            return;
        }
        if (sender.equals(received.sender())) {
            if (InvalidationMessage.HEARTBEAT.equals(received.type()) && received.senderNanos() != null) {
                ownHeartbeat(received.senderNanos());
            }
            return;
        }
        statistics.messagesReceived.increment();
        statistics.lastReceivedAtMillis = clock.millis();
        long lag = nowMicros() - received.sentAtMicros();
        lagListener.accept(Math.max(0, lag));
        checkSequence(received);
        if (InvalidationMessage.BYE.equals(received.type())) {
            senders.remove(received.sender());
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
                gap(now, () -> gapReport.firstInMidSequence(received.sender(), received.sequence(), now));
            }
            return;
        }
        long expected = known.lastSequence + 1;
        if (received.sequence() > known.lastSequence) {
            known.lastSequence = received.sequence();
        }
        known.lastSeenNanos = now;
        if (received.sequence() > expected) {
            gap(now, () -> gapReport.lost(received.sender(), received.sequence() - expected, now));
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

    private void ownHeartbeat(long sentNanos) {
        statistics.heartbeatsReceived.increment();
        long now = nanoClock.getAsLong();
        long roundTrip = now - sentNanos;
        statistics.lastHeartbeatRoundTripNanos = roundTrip;
        if (sentNanos > lastOwnHeartbeatSentNanos) {
            lastOwnHeartbeatSentNanos = sentNanos;
        }
        // Only a heartbeat that the next tick() will still accept ends degraded mode. A stale one
        // (queued by Lettuce during an outage and published on reconnecting), or one that barely
        // made it, would end it until the next tick only; so would any heartbeat while the breaker
        // refuses commands (a probe that timed out although Redis then ran it), since the next
        // heartbeats are never published.
        if (!guard.isDegraded() || !running || roundTrip > recoveryWindowNanos()
                || redis.circuitBreaker().state() != CircuitBreaker.State.CLOSED) {
            return;
        }
        long degradedFor;
        synchronized (stateLock) {
            if (!guard.isDegraded()) {
                return;
            }
            guard.setDegraded(false);
            liveSinceNanos = now;
            degradedFor = now - degradedSinceNanos;
        }
        logger.info("Invalidation channel " + settings.channel() + " is live again after " + degradedFor / 1_000_000
                + "ms degraded; L1 is trusted again");
    }

    /** An own heartbeat sent longer ago than this has not come back in time. */
    private long trustWindowNanos() {
        return settings.maxStaleness().minus(settings.heartbeatInterval()).toNanos();
    }

    /**
     * The longest round trip of an own heartbeat that ends degraded mode: one that leaves the
     * trust window open until the next tick, an interval later, or at least half the window when
     * the interval is that long (max-staleness may be as small as two intervals).
     */
    private long recoveryWindowNanos() {
        long window = trustWindowNanos();
        return window - Math.min(settings.heartbeatInterval().toNanos(), window / 2);
    }

    @Override
    public void onChannelSubscribed(byte[] subscribed, long count) {
        long now = nanoClock.getAsLong();
        boolean resubscription = subscribedAtNanos != 0;
        subscribedAtNanos = now;
        if (resubscription) {
            // Messages published while we were not subscribed are lost for good.
            gap(now, () -> gapReport.resubscribed(now));
        }
        else {
            // Entries filled before the first subscription may have missed invalidations.
            guard.invalidateAll();
        }
    }

    @Override
    public void onChannelUnsubscribed(byte[] unsubscribed, long count) {
        if (running) {
            degrade("unsubscribed from " + settings.channel());
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
            if (now - lastOwnHeartbeatSentNanos > trustWindowNanos() && !guard.isDegraded()) {
                degrade("no heartbeat of this instance came back through " + settings.channel() + " for "
                        + (now - lastOwnHeartbeatSentNanos) / 1_000_000 + "ms");
            }
            long silence = settings.maxStaleness().toNanos();
            senders.forEach((id, state) -> {
                if (now - state.lastSeenNanos > silence && senders.remove(id, state)) {
                    // It may have published invalidations we never received (a partitioned writer).
                    gap(now, () -> gapReport.silent(id, now));
                }
            });
            reportGapsIfDue(now);
            statistics.heartbeatsSent.increment();
            publish(InvalidationMessage.HEARTBEAT, now, null);
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

    /**
     * Drops the whole L1 at once, for a gap that {@code recording} adds to the report logged when
     * the episode is over.
     */
    private void gap(long now, Runnable recording) {
        statistics.gaps.increment();
        statistics.flushes.increment();
        guard.invalidateAll();
        synchronized (stateLock) {
            recording.run();
        }
    }

    /**
     * Logs the gaps recorded so far once the episode they belong to is over: the channel has been
     * live, with no new gap, for {@code maxStaleness} (after a reconnection every peer has sent a
     * message by then, and queued publishes have been delivered), or gaps have kept coming for
     * {@link #GAP_REPORT_MAX_AGE}. Never while degraded: a gap then belongs to the outage, whose
     * end brings more.
     */
    private void reportGapsIfDue(long now) {
        String line;
        synchronized (stateLock) {
            if (!gapReport.isPending() || guard.isDegraded()) {
                return;
            }
            long quietSince = Math.max(gapReport.lastNanos(), liveSinceNanos);
            long episodeStart = Math.max(gapReport.firstNanos(), liveSinceNanos);
            if (now - quietSince < settings.maxStaleness().toNanos()
                    && now - episodeStart < GAP_REPORT_MAX_AGE.toNanos()) {
                return;
            }
            line = gapReport.take();
        }
        logGaps(line);
    }

    private void logGaps(@Nullable String line) {
        if (line != null) {
            logger.warn(line + "; this instance is " + sender);
        }
    }

    /** Degrades L1 unless it is already, logging the transition once. */
    private void degrade(String reason) {
        synchronized (stateLock) {
            if (guard.isDegraded()) {
                return;
            }
            guard.setDegraded(true);
            degradedSinceNanos = nanoClock.getAsLong();
        }
        statistics.flushes.increment();
        statistics.degradations.increment();
        logger.warn("L1 is degraded (entries live at most " + settings.degradedL1Ttl() + ") after " + reason);
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    @Override
    public void start() {
        if (running) {
            return;
        }
        lastOwnHeartbeatSentNanos = nanoClock.getAsLong();
        synchronized (stateLock) {
            liveSinceNanos = lastOwnHeartbeatSentNanos;
        }
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
        synchronized (sendLock) {
            // Whatever is queued goes out before the goodbye, after which receivers forget this sender.
            List<InvalidationMessage.Operation> operations;
            synchronized (queueLock) {
                operations = drainQueue();
            }
            if (!operations.isEmpty()) {
                publishOperations(operations);
            }
            publish(InvalidationMessage.BYE, null, null);
        }
        container.stop();
        scheduler.shutdown();
        String unreported;
        synchronized (stateLock) {
            unreported = gapReport.take();
        }
        logGaps(unreported);
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

    private long nowMicros() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
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
