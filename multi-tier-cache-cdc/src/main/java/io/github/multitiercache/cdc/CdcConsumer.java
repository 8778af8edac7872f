package io.github.multitiercache.cdc;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The fleet's one change-data-capture consumer. Every instance with the module enabled runs this
 * lifecycle bean; only the holder of the Redis lease ({@code <prefix>:__cdc:<slot>:lease}) runs
 * Debezium's embedded engine, the others try to take the lease every third of its time to live and
 * start the engine when they do (the holder died, or its context closed and released it).
 *
 * <p>The holder renews the lease every third of its time to live. It stops the engine when the lease is
 * found taken by another holder, or when it could not renew it for longer than its time to live; and it
 * makes no eviction of a batch unless its lease is known valid at that moment, so that an instance that
 * lost the lease evicts nothing more. A batch that was not evicted is not marked processed: its offsets
 * are not flushed, and the next holder reads it again.
 */
public final class CdcConsumer implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(CdcConsumer.class);

    private static final Duration ENGINE_STOP_TIMEOUT = Duration.ofSeconds(20);

    private final CdcProperties properties;

    private final List<String> tables;

    private final ChangeApplier applier;

    private final RedisLease lease;

    private final String offsetTarget = UUID.randomUUID().toString();

    private final StringRedisTemplate redis;

    private final String offsetKey;

    private final String topicPrefix;

    private final Object lock = new Object();

    private @Nullable ScheduledExecutorService supervisor;

    private @Nullable ExecutorService engineThread;

    private @Nullable DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;

    private @Nullable Future<?> engineRun;

    private volatile boolean running;

    private volatile boolean holding;

    /** Until when (System.nanoTime) the lease is known to be ours. */
    private volatile long leaseValidUntil;

    private volatile boolean streaming;

    private volatile long engineFailedAt = Long.MIN_VALUE;

    private volatile long engineStarts;

    private volatile @Nullable String lastError;

    private final CdcMapping mapping;

    /** The replica identity of the mapped tables, once this instance checked it; null before. */
    private volatile @Nullable List<CdcStatus.TableIdentity> replicaIdentity;

    CdcConsumer(CdcProperties properties, CdcMapping mapping, ChangeApplier applier, StringRedisTemplate redis,
            String keyPrefix) {
        this.properties = properties;
        this.mapping = mapping;
        this.tables = List.copyOf(mapping.tables());
        this.applier = applier;
        this.redis = redis;
        String base = keyPrefix + ":__cdc:" + properties.getSlotName();
        this.lease = new RedisLease(Objects.requireNonNull(redis.getConnectionFactory(), "connection factory"),
                base + ":lease", properties.getLeaseTtl());
        this.offsetKey = base + ":offsets";
        this.topicPrefix = (keyPrefix + "_" + properties.getSlotName()).replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    @Override
    public void start() {
        synchronized (lock) {
            if (running) {
                return;
            }
            running = true;
            RedisOffsetBackingStore.register(offsetTarget, redis, offsetKey);
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "mtc-cdc-lease");
                thread.setDaemon(true);
                return thread;
            });
            supervisor = scheduler;
            long period = Math.max(50, properties.getLeaseTtl().toMillis() / 3);
            scheduler.scheduleWithFixedDelay(this::tick, 0, period, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void stop() {
        ScheduledExecutorService scheduler;
        synchronized (lock) {
            if (!running) {
                return;
            }
            running = false;
            scheduler = supervisor;
            supervisor = null;
        }
        if (scheduler != null) {
            scheduler.shutdown();
            try {
                scheduler.awaitTermination(ENGINE_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopEngine();
        if (holding) {
            holding = false;
            try {
                lease.release();
            } catch (RuntimeException e) {
                logger.info("Change data capture: cannot release the lease " + lease.key()
                        + "; it expires on its own: " + e.getMessage());
            }
        }
        RedisOffsetBackingStore.unregister(offsetTarget);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** One supervision step: take or renew the lease, start or stop the engine. */
    private void tick() {
        if (!running) {
            return;
        }
        long attemptedAt = System.nanoTime();
        try {
            if (!holding) {
                if (lease.tryAcquire()) {
                    leaseValidUntil = attemptedAt + lease.ttl().toNanos();
                    holding = true;
                    logger.info("Change data capture: this instance holds the lease " + lease.key()
                            + " and starts the consumer of slot " + properties.getSlotName());
                    startEngine();
                }
                return;
            }
            // Waited for at most a third of the TTL and no longer than the lease is known valid: a renewal
            // Redis does not answer by then is lost (below), not waited for until Redis's own timeout.
            long validFor = leaseValidUntil - attemptedAt;
            if (lease.renew(validFor > 0 ? Duration.ofNanos(validFor) : lease.commandTimeout())) {
                leaseValidUntil = attemptedAt + lease.ttl().toNanos();
            } else {
                logger.warn("Change data capture: the lease " + lease.key()
                        + " is held by another instance; stopping this consumer");
                loseLease();
                return;
            }
        } catch (RuntimeException e) {
            if (holding && System.nanoTime() - leaseValidUntil >= 0) {
                logger.warn("Change data capture: the lease " + lease.key() + " could not be renewed for "
                        + lease.ttl() + " (" + e.getMessage() + "); stopping this consumer");
                loseLease();
            } else if (!holding) {
                logger.debug("Change data capture: cannot reach Redis for the lease: " + e.getMessage());
            }
            return;
        }
        if (holding && engineStopped() && System.nanoTime() - engineFailedAt
                >= properties.getRestartDelay().toNanos()) {
            startEngine();
        }
    }

    /**
     * Once per instance, when it first starts consuming (retried at each engine start until the database
     * answers): warns for each mapped table whose old rows miss columns the mapping reads.
     */
    private void checkReplicaIdentity() {
        if (replicaIdentity != null) {
            return;
        }
        try {
            replicaIdentity = List.copyOf(ReplicaIdentityCheck.check(properties, mapping, tables));
        } catch (SQLException | RuntimeException e) {
            logger.info("Change data capture: cannot check the replica identity of " + tables
                    + " yet (retried when the engine starts again): " + e.getMessage());
        }
    }

    private boolean engineStopped() {
        synchronized (lock) {
            Future<?> run = engineRun;
            return run == null || run.isDone();
        }
    }

    private void loseLease() {
        holding = false;
        stopEngine();
    }

    /** Whether this instance may evict now: it holds the lease and the lease has not run out. */
    boolean leaseValid() {
        return holding && running && System.nanoTime() - leaseValidUntil < 0;
    }

    private void startEngine() {
        synchronized (lock) {
            if (!running || !holding) {
                return;
            }
            stopEngineLocked();
            DebeziumEngine<RecordChangeEvent<SourceRecord>> created = DebeziumEngine
                    .create(ChangeEventFormat.of(Connect.class))
                    .using(engineProperties())
                    .using((success, message, error) -> {
                        streaming = false;
                        if (!success) {
                            engineFailedAt = System.nanoTime();
                            lastError = message + ((error != null) ? ": " + error : "");
                            if (running && holding) {
                                logger.warn("Change data capture: the engine stopped (" + lastError
                                        + "); restarting it in " + properties.getRestartDelay());
                            }
                        }
                    })
                    .using(new DebeziumEngine.ConnectorCallback() {
                        @Override
                        public void taskStarted() {
                            streaming = true;
                        }
                    })
                    .notifying(this::handleBatch)
                    .build();
            ExecutorService thread = Executors.newSingleThreadExecutor(runnable -> {
                Thread t = new Thread(runnable, "mtc-cdc-engine");
                t.setDaemon(true);
                return t;
            });
            engine = created;
            engineThread = thread;
            engineStarts++;
            // On the engine's thread, not the lease's: the database may be slow to answer.
            engineRun = thread.submit(() -> {
                checkReplicaIdentity();
                synchronized (lock) {
                    if (engine != created) {
                        return; // stopped meanwhile
                    }
                }
                created.run();
            });
        }
    }

    private void stopEngine() {
        synchronized (lock) {
            stopEngineLocked();
        }
    }

    private void stopEngineLocked() {
        DebeziumEngine<RecordChangeEvent<SourceRecord>> current = engine;
        ExecutorService thread = engineThread;
        Future<?> run = engineRun;
        engine = null;
        engineThread = null;
        engineRun = null;
        streaming = false;
        if (current == null) {
            return;
        }
        if (run == null || !run.isDone()) {
            // an engine that ended on an error has shut itself down already
            try {
                current.close();
            } catch (IOException | RuntimeException e) {
                logger.warn("Change data capture: error while stopping the engine: " + e);
            }
        }
        if (run != null) {
            try {
                run.get(ENGINE_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                logger.warn("Change data capture: the engine did not stop within " + ENGINE_STOP_TIMEOUT);
                run.cancel(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                logger.debug("Change data capture: the engine ended with " + e);
            }
        }
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> events,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        streaming = true;
        if (!leaseValid()) {
            // Not ours any more: evict nothing, mark nothing; the next holder reads this batch again.
            throw new InterruptedException("the change-data-capture lease " + lease.key() + " is not held");
        }
        List<SourceRecord> records = new ArrayList<>(events.size());
        for (RecordChangeEvent<SourceRecord> event : events) {
            records.add(event.record());
        }
        applier.apply(records);
        for (RecordChangeEvent<SourceRecord> event : events) {
            committer.markProcessed(event);
        }
        committer.markBatchFinished();
    }

    Properties engineProperties() {
        CdcProperties.Database database = properties.getDatabase();
        Properties props = new Properties();
        props.setProperty("name", topicPrefix);
        props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        props.setProperty("offset.storage", RedisOffsetBackingStore.class.getName());
        props.setProperty(RedisOffsetBackingStore.TARGET_PROPERTY, offsetTarget);
        props.setProperty("offset.flush.interval.ms", "0");
        props.setProperty("offset.flush.timeout.ms", "5000");
        props.setProperty("database.hostname", database.getHost());
        props.setProperty("database.port", Integer.toString(database.getPort()));
        props.setProperty("database.dbname", database.getName());
        props.setProperty("database.user", database.getUsername());
        if (database.getPassword() != null) {
            props.setProperty("database.password", database.getPassword());
        }
        props.setProperty("topic.prefix", topicPrefix);
        props.setProperty("plugin.name", "pgoutput");
        props.setProperty("slot.name", properties.getSlotName());
        props.setProperty("slot.drop.on.stop", "false");
        props.setProperty("publication.name", properties.getPublicationName());
        props.setProperty("publication.autocreate.mode", "filtered");
        props.setProperty("table.include.list", String.join(",", applierTables()));
        props.setProperty("snapshot.mode", "no_data");
        props.setProperty("skipped.operations", "none");
        props.setProperty("tombstones.on.delete", "false");
        props.setProperty("errors.max.retries", "0");
        // The connector sleeps this long whenever the replication stream has nothing pending: the floor
        // of the lag (Debezium's default, 500 ms, would add 250 ms on average to every change).
        props.setProperty("poll.interval.ms", Long.toString(properties.getPollInterval().toMillis()));
        for (Map.Entry<String, String> entry : properties.getDebezium().entrySet()) {
            props.setProperty(entry.getKey(), entry.getValue());
        }
        return props;
    }

    /** The include list: regular expressions, each table's dot escaped. */
    private List<String> applierTables() {
        List<String> escaped = new ArrayList<>();
        for (String table : tables) {
            escaped.add(table.replace(".", "\\."));
        }
        return escaped;
    }

    /** @return the consumer's state, for the endpoint */
    public CdcStatus status() {
        String state;
        if (!running) {
            state = "STOPPED";
        } else if (!holding) {
            state = "STANDBY";
        } else {
            state = streaming ? "STREAMING" : "STARTING";
        }
        return new CdcStatus(state, holding, lease.key(), properties.getSlotName(), applier.lastLsn(),
                applier.lastCommitAt(), applier.lastLagMillis(), applier.changesSeen.sum(),
                applier.keysEvicted.sum(), applier.tagsEvicted.sum(), applier.cachesCleared.sum(),
                applier.mappingFailures.sum(), engineStarts, lastError,
                Objects.requireNonNullElse(replicaIdentity, List.of()));
    }

    /** @return whether this instance holds the lease */
    public boolean isLeaseHolder() {
        return holding;
    }

    @Override
    public int getPhase() {
        // Start after the caches (default phase) and stop before them.
        return Integer.MAX_VALUE - 1000;
    }
}
