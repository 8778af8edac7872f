package io.github.multitiercache.core.invalidation;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.github.multitiercache.core.redis.RedisTier;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * The sending half of the {@link InvalidationBus}: the queue of changed keys and cleared caches,
 * the group commit that turns it into batches, and the numbering of every message this instance
 * publishes (see the bus for the rules).
 *
 * <p>Lock order: {@code sendLock}, then {@code queueLock}. A batch is drained, numbered and handed
 * to Redis under {@code sendLock}, so messages reach Redis in the order of their numbers.
 */
final class Outbox {

    private static final Log logger = LogFactory.getLog(InvalidationBus.class);

    /**
     * The most invalidation batches published and not yet acknowledged at one time. One would make
     * a key changed while a publish is under way wait for that round trip; two let it go at once
     * unless writes come faster than two per round trip, and keep the message rate bounded by the
     * round trip all the same.
     */
    private static final int MAX_BATCHES_IN_FLIGHT = 2;

    private final RedisTier redis;
    private final byte[] channel;
    private final String sender;
    private final InvalidationSettings settings;
    private final InvalidationStatistics statistics;
    private final ThreadPoolTaskScheduler scheduler;
    private final LongSupplier nanoClock;
    private final Clock clock;
    private final BooleanSupplier running;

    private final Object queueLock = new Object();
    private final Map<String, Set<String>> queuedKeys = new LinkedHashMap<>();
    private final Set<String> queuedClears = new LinkedHashSet<>();
    private int batchesInFlight;
    private boolean flushScheduled;
    private long lastSentNanos;

    private final Object sendLock = new Object();
    private long sequence;

    Outbox(RedisTier redis, byte[] channel, String sender, InvalidationSettings settings,
            InvalidationStatistics statistics, ThreadPoolTaskScheduler scheduler, LongSupplier nanoClock, Clock clock,
            BooleanSupplier running) {
        this.redis = redis;
        this.channel = channel;
        this.sender = sender;
        this.settings = settings;
        this.statistics = statistics;
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.clock = clock;
        this.running = running;
        this.lastSentNanos = nanoClock.getAsLong() - settings.batchWindow().toNanos();
    }

    /** Queues a changed key and sends the queue if the bus may send now. */
    void keyChanged(String cacheName, String keyText) {
        synchronized (queueLock) {
            if (!queuedClears.contains(cacheName)) {
                queuedKeys.computeIfAbsent(cacheName, name -> new LinkedHashSet<>()).add(keyText);
            }
        }
        sendQueued();
    }

    /** Queues changed keys of one cache and sends the queue once, if the bus may send now. */
    void keysChanged(String cacheName, Collection<String> keyTexts) {
        if (keyTexts.isEmpty()) {
            return;
        }
        synchronized (queueLock) {
            if (!queuedClears.contains(cacheName)) {
                queuedKeys.computeIfAbsent(cacheName, name -> new LinkedHashSet<>()).addAll(keyTexts);
            }
        }
        sendQueued();
    }

    /** Queues a cleared cache (which replaces its queued keys) and sends the queue if the bus may send now. */
    void cacheCleared(String cacheName) {
        synchronized (queueLock) {
            queuedKeys.remove(cacheName);
            queuedClears.add(cacheName);
        }
        sendQueued();
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
        if (wait > 0 && running.getAsBoolean()) {
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
     * Sends what is queued, then a goodbye, after which receivers forget this sender: the last
     * messages of a bus that stops.
     */
    void sendQueuedThenBye() {
        synchronized (sendLock) {
            List<InvalidationMessage.Operation> operations;
            synchronized (queueLock) {
                operations = drainQueue();
            }
            if (!operations.isEmpty()) {
                publishOperations(operations);
            }
            publish(InvalidationMessage.BYE, null, null);
        }
    }

    /**
     * Numbers and publishes one message. Numbering and handing to Redis happen under one lock, so
     * messages reach Redis in the order of their numbers.
     */
    CompletableFuture<Boolean> publish(String type, @Nullable Long senderNanos,
            @Nullable List<InvalidationMessage.Operation> operations) {
        return publish(type, senderNanos, operations, null);
    }

    /** As {@link #publish(String, Long, List)}, for a message carrying tag evictions. */
    CompletableFuture<Boolean> publish(String type, @Nullable Long senderNanos,
            @Nullable List<InvalidationMessage.Operation> operations, @Nullable Map<String, Long> tags) {
        synchronized (sendLock) {
            InvalidationMessage message = new InvalidationMessage(InvalidationMessage.VERSION, sender, ++sequence,
                    micros(clock), type, senderNanos, operations, tags);
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

    /** @return the clock's time in microseconds since the epoch, as messages carry it */
    static long micros(Clock clock) {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
