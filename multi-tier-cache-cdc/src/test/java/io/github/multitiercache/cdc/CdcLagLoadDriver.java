package io.github.multitiercache.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import io.github.multitiercache.core.l1.L1Entry;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.PostgresServer;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.cache.Cache;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A load driver, not a test: the lag from a row's {@code UPDATE} committing in PostgreSQL (the
 * autocommit statement returning to the writer) to the row's key being gone from the L1 of both of two
 * instances, at a low and a high fixed rate of changed rows, beside the cache's own invalidation path in
 * the same run (instance A calling {@code evict} on the key → gone from both L1s), and the CPU time of
 * the consumer's threads (Debezium's and the consumer's own). Skipped unless {@code -Dcdc.driver=true}:
 *
 * <pre>
 * ./mvnw -B -o -q test -pl multi-tier-cache-cdc -am -Dtest=CdcLagLoadDriver -Dcdc.driver=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * cat multi-tier-cache-cdc/target/load-drivers/CdcLagLoadDriver.txt
 * </pre>
 *
 * <p>Each change updates one row that both instances hold in L1 (warmed before the phase), one new
 * row per change, at a fixed rate (the writer parks until each change is due). A watcher thread polls
 * both L1s for every changed key not yet gone and records when it is. A key that was not in both L1s
 * right before its change (L1 degraded on a loaded machine) is counted apart and left out of the lag.
 * A key still in an L1 30 s after the last change fails the driver.
 */
class CdcLagLoadDriver {

    private static final int LOW_RATE = Integer.getInteger("cdc.driver.low-rate", 10);

    private static final int LOW_SECONDS = Integer.getInteger("cdc.driver.low-seconds", 20);

    private static final int HIGH_RATE = Integer.getInteger("cdc.driver.high-rate", 500);

    private static final int HIGH_SECONDS = Integer.getInteger("cdc.driver.high-seconds", 10);

    private final StringBuilder report = new StringBuilder();

    @Test
    @EnabledIfSystemProperty(named = "cdc.driver", matches = "true")
    void measure() throws Exception {
        String name = "lag";
        int rows = 2 * (LOW_RATE * LOW_SECONDS + HIGH_RATE * HIGH_SECONDS) + 10;
        try (PostgresServer postgres = PostgresServer.start(); RedisServer redis = RedisServer.start()) {
            CdcTestApp.createTable(postgres, name, rows);
            List<String> properties = CdcTestApp.properties(redis, postgres, name);
            properties.add("multi-tier-cache.caches.products.l1.maximum-size=100000");
            properties.add("multi-tier-cache.cdc.lease-ttl=15s");
            // A loaded machine delays heartbeats; a degraded L1 (entries living 1 s) would hide the lag.
            properties.add("multi-tier-cache.invalidation.max-staleness=20s");
            properties.add("multi-tier-cache.invalidation.degraded-l1-ttl=20s");
            try (ConfigurableApplicationContext a = CdcTestApp.start(properties);
                    ConfigurableApplicationContext b = CdcTestApp.start(properties);
                    Connection jdbc = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER, "");
                    PreparedStatement update = jdbc.prepareStatement(
                            "UPDATE " + name + " SET qty = qty + 1 WHERE id = ?")) {
                // The test cluster runs with synchronous_commit=off for speed; then WAL reaches the WAL sender
                // only at the WAL writer's next flush (up to 200 ms later). Commit as a production database does.
                try (var statement = jdbc.createStatement()) {
                    statement.execute("SET synchronous_commit = on");
                }
                CdcConsumer consumerA = a.getBean(CdcConsumer.class);
                await().atMost(Duration.ofSeconds(60)).until(() -> "STREAMING".equals(consumerA.status().state()));
                line("Started " + Instant.now() + "; load average " + loadAverage());
                line("Lag from the change returning to the writer to the key gone from the L1 of both instances"
                        + " (ms); CPU of the consumer's threads (% of one core)");
                line(String.format("%-6s %-14s %7s %7s %8s %8s %8s %8s %9s", "rate", "path", "changes", "skipped",
                        "p50", "p90", "p99", "max", "cpu"));
                AtomicInteger nextId = new AtomicInteger(1);
                Cache cacheA = a.getBean(MultiTierCacheManager.class).getCache("products");
                for (int[] phase : new int[][] { { LOW_RATE, LOW_SECONDS }, { HIGH_RATE, HIGH_SECONDS } }) {
                    int rate = phase[0];
                    int count = rate * phase[1];
                    run(a, b, rate, count, nextId, "cdc (UPDATE)", id -> {
                        try {
                            update.setLong(1, id);
                            update.executeUpdate();
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    run(a, b, rate, count, nextId, "evict on A", cacheA::evict);
                }
                line("Threads with more than 200 ms of CPU (name: ms):");
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                for (long id : threads.getAllThreadIds()) {
                    ThreadInfo info = threads.getThreadInfo(id);
                    long cpu = threads.getThreadCpuTime(id);
                    if (info != null && cpu > 200_000_000L) {
                        line("  " + info.getThreadName() + ": " + cpu / 1_000_000);
                    }
                }
                line("Finished " + Instant.now() + "; load average " + loadAverage() + "; consumer: "
                        + consumerA.status());
            }
        }
        Path out = Path.of("target", "load-drivers", "CdcLagLoadDriver.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report.toString(), StandardCharsets.UTF_8);
    }

    private interface Change {
        void apply(long id) throws Exception;
    }

    private void run(ConfigurableApplicationContext a, ConfigurableApplicationContext b, int rate, int count,
            AtomicInteger nextId, String path, Change change) throws Exception {
        CdcTestApp.ProductService serviceA = a.getBean(CdcTestApp.ProductService.class);
        CdcTestApp.ProductService serviceB = b.getBean(CdcTestApp.ProductService.class);
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            ids[i] = nextId.getAndIncrement();
        }
        L1Tier warmA = l1(a);
        L1Tier warmB = l1(b);
        // Warm every key in both L1s. B's copy can be dropped by the tracking push of A's own Redis write
        // arriving after B read the key: let the pushes settle and read again what is missing.
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < count; i++) {
                if (warmA.remainingNanos(ids[i]) < 0) {
                    serviceA.find(ids[i]);
                }
                if (warmB.remainingNanos(ids[i]) < 0) {
                    serviceB.find(ids[i]);
                }
            }
            Thread.sleep(300);
        }
        L1Tier l1A = l1(a);
        L1Tier l1B = l1(b);
        int[] epochA = new int[count];
        int[] epochB = new int[count];
        AtomicLongArray written = new AtomicLongArray(count);
        AtomicLongArray gone = new AtomicLongArray(count);
        boolean[] skipped = new boolean[count];
        long[] lifeLeft = new long[count];
        AtomicInteger issued = new AtomicInteger();
        Thread watcher = new Thread(() -> {
            int from = 0;
            while (from < count) {
                int upTo = issued.get();
                for (int i = from; i < upTo; i++) {
                    String text = Long.toString(ids[i]);
                    // quiet reads (no access recorded), of the entry's own epoch: an L1 flush is not an eviction
                    if (gone.get(i) == 0 && written.get(i) != 0 && l1A.remainingNanosByText(text, epochA[i]) < 0
                            && l1B.remainingNanosByText(text, epochB[i]) < 0) {
                        gone.set(i, System.nanoTime());
                    }
                }
                while (from < upTo && gone.get(from) != 0) {
                    from++;
                }
                Thread.onSpinWait();
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
        }, "lag-watcher");
        long cpuBefore = consumerCpuNanos();
        long wallBefore = System.nanoTime();
        watcher.start();
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + i * period;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            L1Entry entryA = l1A.get(ids[i]);
            L1Entry entryB = l1B.get(ids[i]);
            lifeLeft[i] = Math.min(l1A.remainingNanos(ids[i]), l1B.remainingNanos(ids[i]));
            skipped[i] = entryA == null || entryB == null;
            epochA[i] = (entryA != null) ? entryA.epoch() : -1;
            epochB[i] = (entryB != null) ? entryB.epoch() : -1;
            change.apply(ids[i]);
            written.set(i, System.nanoTime());
            issued.incrementAndGet();
        }
        watcher.join(30_000);
        long wall = System.nanoTime() - wallBefore;
        long cpu = consumerCpuNanos() - cpuBefore;
        watcher.interrupt();
        List<Long> lags = new ArrayList<>();
        int skips = 0;
        int missing = 0;
        long shortestLife = Long.MAX_VALUE;
        for (int i = 0; i < count; i++) {
            assertThat(gone.get(i)).as("key %s still in an L1 30 s after the last change", ids[i]).isNotZero();
            long lag = gone.get(i) - written.get(i);
            if (skipped[i]) {
                missing++;
            } else {
                shortestLife = Math.min(shortestLife, lifeLeft[i]);
            }
            if (skipped[i] || lag >= lifeLeft[i]) {
                // not in both L1s before the change, or its entry would have expired on its own by then
                skips++;
            } else {
                lags.add(Math.max(0, lag));
            }
        }
        long[] sorted = lags.stream().mapToLong(Long::longValue).sorted().toArray();
        line(String.format("%-6s %-14s %7d %7d %8.2f %8.2f %8.2f %8.2f %8.1f%%", rate + "/s", path, count, skips,
                ms(percentile(sorted, 0.50)), ms(percentile(sorted, 0.90)), ms(percentile(sorted, 0.99)),
                ms(sorted.length == 0 ? 0 : sorted[sorted.length - 1]), 100.0 * cpu / wall)
                + String.format("   (skipped: %d not in both L1s; shortest L1 life left at the change %.0f ms)", missing,
                        ms(shortestLife == Long.MAX_VALUE ? 0 : shortestLife)));
    }

    private static L1Tier l1(ConfigurableApplicationContext context) {
        L1Tier l1 = CdcTestApp.products(context).insight().l1();
        if (l1 == null) {
            throw new IllegalStateException("L1 is off");
        }
        return l1;
    }

    /** CPU time of the threads that run the consumer: Debezium's, the engine's and the lease's. */
    private static long consumerCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long id : threads.getAllThreadIds()) {
            ThreadInfo info = threads.getThreadInfo(id);
            if (info == null) {
                continue;
            }
            String threadName = info.getThreadName();
            if (threadName.startsWith("debezium") || threadName.startsWith("mtc-cdc")
                    || threadName.startsWith("pool-")) {
                long cpu = threads.getThreadCpuTime(id);
                if (cpu > 0) {
                    total += cpu;
                }
            }
        }
        return total;
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static double ms(long nanos) {
        return nanos / 1_000_000.0;
    }

    private static String loadAverage() {
        try {
            return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).trim().split(" "), 3));
        } catch (IOException e) {
            return "unknown";
        }
    }

    private void line(String text) {
        System.out.println(text);
        report.append(text).append('\n');
    }
}
