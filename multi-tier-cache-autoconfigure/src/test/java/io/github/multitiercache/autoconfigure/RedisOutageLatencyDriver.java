package io.github.multitiercache.autoconfigure;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.github.multitiercache.core.redis.CircuitBreaker;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.testsupport.RedisServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A load driver, not a test: the latency and the exceptions that {@code @Cacheable} callers see
 * while Redis is healthy, killed, restarted, paused ({@code SIGSTOP}: connections hang) and
 * resumed, for this project's cache and for Spring's {@code RedisCacheManager}, one after the
 * other in the same run, each on a Redis of its own. Skipped unless {@code -Doutage.driver=true}:
 *
 * <pre>
 * ./mvnw -B -o -q test -pl multi-tier-cache-autoconfigure -am -Dtest=RedisOutageLatencyDriver \
 *     -Doutage.driver=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>The report goes to standard output (which surefire keeps in
 * {@code target/surefire-reports/*RedisOutageLatencyDriver-output.txt}) and to
 * {@code target/load-drivers/RedisOutageLatencyDriver.txt}.
 *
 * <p>Calls count for the phase in which they started, except that calls in flight when Redis was
 * killed or paused count for that phase.
 *
 * <p>{@value #CALLERS} caller threads each make {@value #CALLS_PER_SECOND} calls a second on a fixed
 * schedule (a call that overruns its slot drops the slots it missed; they are counted): 60 % read
 * one of {@value #HOT_KEYS} hot keys (L1 hits for this cache), 20 % one of {@value #SHARED_KEYS}
 * keys of a cache with L1 off (Redis hits), 20 % a new key each time (the loader runs, taking
 * {@value #LOAD_MILLIS} ms). Both contenders get the same connection settings
 * ({@code spring.data.redis.timeout=1s}, so that a stalled call of Spring's cache ends within the
 * run; Lettuce's default is 60 s); this cache runs with its defaults (250 ms command timeout, a
 * breaker that opens after 5 failures for 5 s). Any exception thrown to a caller of this cache fails
 * the driver; those of {@code RedisCacheManager} are counted.
 *
 * <p>{@code -Doutage.driver.phase-millis} (default 5000) and {@code -Doutage.driver.recovery-millis}
 * (default 8000) change the length of the fault phases and of the phases after them.
 */
@EnabledIfSystemProperty(named = "outage.driver", matches = "true")
class RedisOutageLatencyDriver {

    private static final int CALLERS = 4;
    private static final int CALLS_PER_SECOND = 250;
    private static final int HOT_KEYS = 100;
    private static final int SHARED_KEYS = 100;
    private static final long LOAD_MILLIS = 5;
    private static final long PHASE_MILLIS = Long.getLong("outage.driver.phase-millis", 5000);
    private static final long RECOVERY_MILLIS = Long.getLong("outage.driver.recovery-millis", 8000);
    private static final long WARM_UP_MILLIS = 2000;
    /** PRODUCT §5: p99 while Redis is down at most the loader's latency plus 10 ms. */
    private static final long TARGET_NANOS = TimeUnit.MILLISECONDS.toNanos(LOAD_MILLIS + 10);

    /** The stages of a run. */
    enum Phase {
        WARM_UP, HEALTHY, KILLED, RESTARTED, PAUSED, RESUMED;

        String label() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    /** What the callers ask for. */
    enum Kind {
        HOT, SHARED, COLD
    }

    @Test
    void measureLatencyThroughRedisOutages() throws Exception {
        StringBuilder report = new StringBuilder();
        long began = System.nanoTime();
        report.append(String.format("Redis outages under @Cacheable load: %d callers x %d calls/s (60%% hot keys, "
                + "20%% keys of a cache without L1, 20%% new keys; loader %d ms); phases of %d ms, recoveries of "
                + "%d ms; %d cores; load average at start %s%n", CALLERS, CALLS_PER_SECOND, LOAD_MILLIS, PHASE_MILLIS,
                RECOVERY_MILLIS, Runtime.getRuntime().availableProcessors(), Samples.loadAverage()));
        Outcome ours = drive("multi-tier-cache", MultiTierConfiguration.class);
        Outcome spring = drive("RedisCacheManager", SpringRedisConfiguration.class, "spring.cache.type=redis",
                "spring.cache.redis.time-to-live=10m");
        report.append(ours.lines()).append(spring.lines());
        report.append(String.format("%nPer phase, multi-tier-cache against RedisCacheManager and against the §5 "
                + "target (p99 <= loader + 10 ms = %d ms, no exception):%n",
                TimeUnit.NANOSECONDS.toMillis(TARGET_NANOS)));
        for (Phase phase : Phase.values()) {
            if (phase == Phase.WARM_UP) {
                continue;
            }
            Samples.Summary mine = ours.stats(phase).all.summary();
            Samples.Summary theirs = spring.stats(phase).all.summary();
            report.append(String.format("  %-9s p99 %8.2f ms vs %8.2f ms (%6.3fx), max %8.1f vs %8.1f ms; exceptions "
                    + "%d vs %d of %d vs %d calls; p99 %s the target%n", phase.label(), mine.p99() / 1e6,
                    theirs.p99() / 1e6, (theirs.p99() == 0) ? Double.NaN : (double) mine.p99() / theirs.p99(),
                    mine.max() / 1e6, theirs.max() / 1e6, ours.stats(phase).exceptions(),
                    spring.stats(phase).exceptions(), mine.count(), theirs.count(),
                    (mine.p99() <= TARGET_NANOS) ? "meets" : "misses"));
        }
        report.append(String.format("Load average at end %s; %d s in all%n", Samples.loadAverage(),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began)));
        System.out.println(report);
        InvalidationLagLoadDriver.writeReport("RedisOutageLatencyDriver.txt", report);
        long exceptions = 0;
        for (Phase phase : Phase.values()) {
            exceptions += ours.stats(phase).exceptions();
        }
        assertThat(exceptions).as("exceptions thrown to callers of multi-tier-cache").isZero();
    }

    private static Outcome drive(String name, Class<?> configuration, String... properties) throws Exception {
        Outcome outcome = new Outcome(name);
        try (RedisServer redis = RedisServer.start()) {
            List<String> all = new ArrayList<>(List.of("spring.data.redis.host=" + redis.host(),
                    "spring.data.redis.port=" + redis.port(), "spring.data.redis.timeout=1s",
                    "spring.data.redis.connect-timeout=1s", "multi-tier-cache.caches.shared.l1.enabled=false"));
            all.addAll(List.of(properties));
            ConfigurableApplicationContext context = new SpringApplicationBuilder(configuration)
                    .web(WebApplicationType.NONE).bannerMode(Banner.Mode.OFF).logStartupInfo(false)
                    .properties(all.toArray(new String[0])).run();
            Callers callers = null;
            try {
                Instance instance = new Instance(context.getBean(BookService.class),
                        context.getBeanProvider(RedisTier.class).getIfAvailable(),
                        context.getBeanProvider(InvalidationBus.class).getIfAvailable());
                RedisTier tier = instance.tier();
                if (tier != null) {
                    tier.circuitBreaker().addListener((from, to) -> outcome.breakerEvents
                            .add(new BreakerEvent(System.nanoTime(), from, to)));
                }
                callers = Callers.start(instance.service(), outcome);
                outcome.begin(Phase.WARM_UP, instance);
                Thread.sleep(WARM_UP_MILLIS);
                outcome.begin(Phase.HEALTHY, instance);
                Thread.sleep(PHASE_MILLIS);

                outcome.begin(Phase.KILLED, instance);
                redis.kill();
                Thread.sleep(PHASE_MILLIS);
                redis.restart();
                outcome.begin(Phase.RESTARTED, instance);
                outcome.firstKeyAfterRestartNanos = awaitFirstKey(redis, outcome.startOf(Phase.RESTARTED));
                sleepUntil(outcome.startOf(Phase.RESTARTED) + TimeUnit.MILLISECONDS.toNanos(RECOVERY_MILLIS));

                outcome.begin(Phase.PAUSED, instance);
                redis.pause();
                Thread.sleep(PHASE_MILLIS);
                redis.resume();
                outcome.begin(Phase.RESUMED, instance);
                Thread.sleep(RECOVERY_MILLIS);
                outcome.end(instance);
            }
            finally {
                if (callers != null) {
                    callers.stop();
                }
                redis.resume();
                context.close();
            }
        }
        return outcome;
    }

    /** @return nanoseconds from {@code since} until Redis held a key again, or -1 if not within the recovery time */
    private static long awaitFirstKey(RedisServer redis, long since) throws InterruptedException {
        long deadline = since + TimeUnit.MILLISECONDS.toNanos(RECOVERY_MILLIS);
        while (System.nanoTime() - deadline < 0) {
            Object size = redis.command("DBSIZE");
            if (size instanceof Long count && count > 0) {
                return System.nanoTime() - since;
            }
            Thread.sleep(20);
        }
        return -1;
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /**
     * The parts of one application context the driver reads.
     * @param service the cached service
     * @param tier this project's Redis tier, {@code null} for Spring's cache
     * @param bus this project's invalidation bus, {@code null} for Spring's cache
     */
    record Instance(BookService service, @Nullable RedisTier tier, @Nullable InvalidationBus bus) {

        RedisTier.@Nullable Stats redisStats() {
            return (tier != null) ? tier.stats() : null;
        }

        /** @return degradations, L1 flushes and gaps of the invalidation channel so far */
        long @Nullable [] busCounts() {
            if (bus == null) {
                return null;
            }
            InvalidationStatistics statistics = bus.statistics();
            return new long[] { statistics.degradations(), statistics.flushes(), statistics.gaps() };
        }
    }

    /**
     * A change of the breaker's state.
     * @param atNanos when it happened
     * @param from the state before
     * @param to the state after
     */
    record BreakerEvent(long atNanos, CircuitBreaker.State from, CircuitBreaker.State to) {
    }

    /** What the calls of one phase saw. */
    static final class PhaseStats {

        final Samples all = new Samples();
        final Map<Kind, Samples> byKind = new EnumMap<>(Kind.class);
        final Map<String, LongAdder> exceptionTypes = new ConcurrentHashMap<>();
        final LongAdder missedSlots = new LongAdder();
        final AtomicLong lastExceptionNanos = new AtomicLong();
        long startNanos;
        long loads;
        long hotLoads;
        RedisTier.@Nullable Stats redisBefore;
        RedisTier.@Nullable Stats redisAfter;
        long @Nullable [] busBefore;
        long @Nullable [] busAfter;

        PhaseStats() {
            for (Kind kind : Kind.values()) {
                byKind.put(kind, new Samples());
            }
        }

        void record(Kind kind, long nanos) {
            all.add(nanos);
            byKind.get(kind).add(nanos);
        }

        void failed(Throwable error) {
            String type = error.getClass().getSimpleName();
            if (error.getCause() != null) {
                type += " (" + error.getCause().getClass().getSimpleName() + ")";
            }
            exceptionTypes.computeIfAbsent(type, key -> new LongAdder()).increment();
            lastExceptionNanos.set(System.nanoTime());
        }

        long exceptions() {
            return exceptionTypes.values().stream().mapToLong(LongAdder::sum).sum();
        }
    }

    /** Everything one contender's run measured. */
    static final class Outcome {

        final String name;
        final Map<Phase, PhaseStats> phases = new EnumMap<>(Phase.class);
        final List<BreakerEvent> breakerEvents = new CopyOnWriteArrayList<>();
        volatile Phase current = Phase.WARM_UP;
        long firstKeyAfterRestartNanos = -1;
        private long loadsAtStart;
        private long hotLoadsAtStart;

        Outcome(String name) {
            this.name = name;
            for (Phase phase : Phase.values()) {
                phases.put(phase, new PhaseStats());
            }
        }

        PhaseStats stats(Phase phase) {
            return phases.get(phase);
        }

        long startOf(Phase phase) {
            return stats(phase).startNanos;
        }

        void begin(Phase phase, Instance instance) {
            end(instance);
            PhaseStats stats = stats(phase);
            stats.startNanos = System.nanoTime();
            stats.redisBefore = instance.redisStats();
            stats.busBefore = instance.busCounts();
            loadsAtStart = instance.service().loads();
            hotLoadsAtStart = instance.service().hotLoads();
            current = phase;
        }

        /** Closes the current phase's counts. */
        void end(Instance instance) {
            PhaseStats stats = stats(current);
            stats.loads = instance.service().loads() - loadsAtStart;
            stats.hotLoads = instance.service().hotLoads() - hotLoadsAtStart;
            stats.redisAfter = instance.redisStats();
            stats.busAfter = instance.busCounts();
        }

        String lines() {
            StringBuilder lines = new StringBuilder(String.format("%n%s%n", name));
            for (Phase phase : Phase.values()) {
                if (phase == Phase.WARM_UP) {
                    continue;
                }
                PhaseStats stats = stats(phase);
                lines.append(String.format("  %-9s calls %,6d  exceptions %,5d  all: %s; loads %,d (hot keys %,d); "
                        + "missed slots %,d%n", phase.label(), stats.all.size(), stats.exceptions(),
                        stats.all.summary().millis(), stats.loads, stats.hotLoads, stats.missedSlots.sum()));
                for (Kind kind : Kind.values()) {
                    lines.append(String.format("            %-6s %s%n", kind.name().toLowerCase(),
                            stats.byKind.get(kind).summary().millis()));
                }
                if (!stats.exceptionTypes.isEmpty()) {
                    Map<String, Long> types = new TreeMap<>();
                    stats.exceptionTypes.forEach((type, count) -> types.put(type, count.sum()));
                    lines.append(String.format("            thrown: %s; last %d ms into the phase%n", types,
                            TimeUnit.NANOSECONDS.toMillis(stats.lastExceptionNanos.get() - stats.startNanos)));
                }
                if (stats.redisBefore != null && stats.redisAfter != null) {
                    lines.append(String.format("            Redis calls failed %d (timed out %d), kept away by the "
                            + "breaker %d%n", stats.redisAfter.failures() - stats.redisBefore.failures(),
                            stats.redisAfter.timeouts() - stats.redisBefore.timeouts(),
                            stats.redisAfter.rejected() - stats.redisBefore.rejected()));
                }
                if (stats.busBefore != null && stats.busAfter != null) {
                    lines.append(String.format("            invalidation channel: degraded %d times, L1 dropped %d "
                            + "times (gaps %d)%n", stats.busAfter[0] - stats.busBefore[0],
                            stats.busAfter[1] - stats.busBefore[1], stats.busAfter[2] - stats.busBefore[2]));
                }
                String breaker = breakerLine(phase);
                if (!breaker.isEmpty()) {
                    lines.append("            breaker: ").append(breaker).append(String.format("%n"));
                }
            }
            lines.append(String.format("  first key written to the restarted Redis %s after the restart%n",
                    (firstKeyAfterRestartNanos < 0) ? "not within the recovery time"
                            : TimeUnit.NANOSECONDS.toMillis(firstKeyAfterRestartNanos) + " ms"));
            return lines.toString();
        }

        /** The breaker's state changes during a phase, in milliseconds from the phase's start. */
        private String breakerLine(Phase phase) {
            long start = startOf(phase);
            long end = (phase.ordinal() + 1 < Phase.values().length) ? startOf(Phase.values()[phase.ordinal() + 1])
                    : Long.MAX_VALUE;
            StringBuilder line = new StringBuilder();
            for (BreakerEvent event : breakerEvents) {
                if (event.atNanos() - start >= 0 && (end == Long.MAX_VALUE || event.atNanos() - end < 0)) {
                    line.append((line.length() == 0) ? "" : ", ").append(event.to()).append(" at ")
                            .append(TimeUnit.NANOSECONDS.toMillis(event.atNanos() - start)).append(" ms");
                }
            }
            return line.toString();
        }
    }

    /** The caller threads, each on a fixed schedule. */
    private static final class Callers {

        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean running = true;

        static Callers start(BookService service, Outcome outcome) {
            Callers callers = new Callers();
            for (int i = 0; i < CALLERS; i++) {
                int caller = i;
                Thread thread = new Thread(() -> callers.call(caller, service, outcome), "caller-" + i);
                thread.setDaemon(true);
                callers.threads.add(thread);
                thread.start();
            }
            return callers;
        }

        private void call(int caller, BookService service, Outcome outcome) {
            long period = TimeUnit.SECONDS.toNanos(1) / CALLS_PER_SECOND;
            long due = System.nanoTime();
            long count = 0;
            while (running) {
                due += period;
                long left;
                while ((left = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(left);
                }
                Phase phase = outcome.current;
                long late = System.nanoTime() - due;
                if (late > period) {
                    // Overran: skip the slots missed rather than fire them in a burst.
                    outcome.stats(phase).missedSlots.add(late / period);
                    due += (late / period) * period;
                }
                int slot = (int) (count++ % 10);
                Kind kind = (slot < 6) ? Kind.HOT : (slot < 8) ? Kind.SHARED : Kind.COLD;
                Exception error = null;
                long started = System.nanoTime();
                try {
                    switch (kind) {
                        case HOT -> service.find("hot-" + ThreadLocalRandom.current().nextInt(HOT_KEYS));
                        case SHARED -> service.shared("shared-" + ThreadLocalRandom.current().nextInt(SHARED_KEYS));
                        default -> service.find("cold-" + caller + "-" + count);
                    }
                }
                catch (Exception ex) {
                    error = ex;
                }
                long took = System.nanoTime() - started;
                Phase ended = outcome.current;
                // A call in flight when Redis was killed or paused suffered the fault: it counts for that phase.
                PhaseStats stats = outcome.stats((ended != phase && (ended == Phase.KILLED || ended == Phase.PAUSED))
                        ? ended : phase);
                if (error != null) {
                    stats.failed(error);
                }
                stats.record(kind, took);
            }
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
    }

    static class BookService {

        private final LongAdder loads = new LongAdder();
        private final LongAdder hotLoads = new LongAdder();

        long loads() {
            return loads.sum();
        }

        long hotLoads() {
            return hotLoads.sum();
        }

        @Cacheable("books")
        public String find(String id) throws InterruptedException {
            return load(id);
        }

        @Cacheable("shared")
        public String shared(String id) throws InterruptedException {
            return load(id);
        }

        private String load(String id) throws InterruptedException {
            loads.increment();
            if (id.startsWith("hot-")) {
                hotLoads.increment();
            }
            Thread.sleep(LOAD_MILLIS);
            return "book-" + id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, MultiTierCacheAutoConfiguration.class,
            CacheAutoConfiguration.class })
    static class MultiTierConfiguration {

        @Bean
        BookService bookService() {
            return new BookService();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @ImportAutoConfiguration({ DataRedisAutoConfiguration.class, CacheAutoConfiguration.class })
    static class SpringRedisConfiguration {

        @Bean
        BookService bookService() {
            return new BookService();
        }
    }
}
