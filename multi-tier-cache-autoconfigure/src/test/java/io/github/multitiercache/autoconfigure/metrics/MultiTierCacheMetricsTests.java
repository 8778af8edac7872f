package io.github.multitiercache.autoconfigure.metrics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.metrics.CacheMetricsAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The meters of multi-tier caches, read from a {@link SimpleMeterRegistry} (and once from a
 * Prometheus scrape) after known sequences of cache calls against a real Redis.
 */
class MultiTierCacheMetricsTests {

    private static final RedisServer redis = RedisServer.shared();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
                    MultiTierCacheAutoConfiguration.class, CacheAutoConfiguration.class, MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, CacheMetricsAutoConfiguration.class,
                    MultiTierCacheMetricsAutoConfiguration.class))
            .withPropertyValues("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                    "multi-tier-cache.caches.books.ttl-jitter=0",
                    "multi-tier-cache.invalidation.heartbeat-interval=100ms",
                    "multi-tier-cache.invalidation.max-staleness=1s",
                    // These counts are of one instance's own calls; with tracking, the push of each of
                    // its own writes drops the fresh L1 copy once, a few milliseconds later, which would
                    // turn some exact counts into races (see docs/invalidation.md, "Writes from outside").
                    "multi-tier-cache.invalidation.tracking.enabled=false")
            .withUserConfiguration(CachingConfiguration.class)
            .withBean(SimpleMeterRegistry.class);

    @BeforeEach
    void flushRedis() {
        redis.flushAll();
    }

    @Test
    void standardCacheMetersCountBothTiersWithCacheAndManagerTags() {
        contextRunner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            MultiTierCache books = runKnownSequence(context);

            assertThat(counter(registry, "cache.gets", "result", "hit")).isEqualTo(2);
            assertThat(counter(registry, "cache.gets", "result", "miss")).isEqualTo(3);
            assertThat(counter(registry, "cache.puts")).isEqualTo(1);
            assertThat(counter(registry, "cache.evictions")).isEqualTo(1);
            assertThat(registry.get("cache.size").tags("cache", "books", "cache.manager", "cacheManager").gauge()
                    .value()).isEqualTo(books.getNativeCache().insight().l1().estimatedSize()).isEqualTo(1);
        });
    }

    @Test
    void tierMetersSplitGetsByTierAndResult() {
        contextRunner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            runKnownSequence(context);

            assertThat(counter(registry, "multitier.cache.gets", "tier", "l1", "result", "hit")).isEqualTo(1);
            assertThat(counter(registry, "multitier.cache.gets", "tier", "l1", "result", "miss")).isEqualTo(4);
            assertThat(counter(registry, "multitier.cache.gets", "tier", "l2", "result", "hit")).isEqualTo(1);
            assertThat(counter(registry, "multitier.cache.gets", "tier", "l2", "result", "miss")).isEqualTo(3);
            assertThat(books(registry, "multitier.cache.size", "tier", "l1").gauge().value()).isEqualTo(1);
        });
    }

    @Test
    void loadMetersCountSuccessesFailuresAndTime() {
        contextRunner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            runKnownSequence(context);

            assertThat(counter(registry, "multitier.cache.loads", "result", "success")).isEqualTo(1);
            assertThat(counter(registry, "multitier.cache.loads", "result", "failure")).isEqualTo(1);
            FunctionTimer duration = books(registry, "multitier.cache.load.duration").functionTimer();
            assertThat(duration.count()).isEqualTo(1);
            assertThat(duration.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(20);
            assertThat(counter(registry, "multitier.cache.codec.errors")).isZero();
            assertThat(counter(registry, "multitier.cache.bypasses")).isZero();
            assertThat(counter(registry, "multitier.cache.clears")).isZero();
        });
    }

    @Test
    void bulkReadsRecordTheirSizeAndCountEachKeyAsASingleRead() {
        contextRunner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            MultiTierCache books = context.getBean(MultiTierCacheManager.class).getCache("books");
            books.put("a", "A");

            books.getAll(List.of("a", "b", "c", "a"), missing -> Map.of("b", "B"));
            books.getAll(List.of("a"), missing -> Map.of());

            DistributionSummary sizes = books(registry, "multitier.cache.bulk.size").summary();
            assertThat(sizes.count()).isEqualTo(2);
            assertThat(sizes.totalAmount()).isEqualTo(4);
            assertThat(sizes.max()).isEqualTo(3);
            assertThat(counter(registry, "multitier.cache.gets", "tier", "l1", "result", "hit")).isEqualTo(2);
            assertThat(counter(registry, "multitier.cache.gets", "tier", "l2", "result", "miss")).isEqualTo(2);
            assertThat(counter(registry, "multitier.cache.loads", "result", "success")).isEqualTo(2);
        });
    }

    @Test
    void l1EvictionsAreCountedByCause() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.small.l1.maximum-size=2",
                "multi-tier-cache.caches.brief.l1.ttl=50ms", "multi-tier-cache.caches.brief.ttl-jitter=0")
                .run(context -> {
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
                    MultiTierCache small = manager.getCache("small");
                    MultiTierCache brief = manager.getCache("brief");
                    for (int i = 0; i < 10; i++) {
                        small.put("k" + i, "v" + i);
                    }
                    for (int i = 0; i < 3; i++) {
                        brief.put("k" + i, "v" + i);
                    }
                    L1Tier smallL1 = small.getNativeCache().insight().l1();
                    L1Tier briefL1 = brief.getNativeCache().insight().l1();

                    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                        smallL1.cleanUp();
                        briefL1.cleanUp();
                        assertThat(evictions(registry, "small", "size")).isEqualTo(8);
                        assertThat(evictions(registry, "brief", "expired")).isEqualTo(3);
                    });
                    assertThat(evictions(registry, "small", "expired")).isZero();
                    assertThat(evictions(registry, "brief", "size")).isZero();
                });
    }

    @Test
    void cachesCreatedAfterStartupAreBoundExactlyOnce() {
        contextRunner.withUserConfiguration(BindingCounterConfiguration.class).run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            BindingCounter bindings = context.getBean(BindingCounter.class);
            MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
            assertThat(bindings.count("books")).as("a cache named in configuration").isEqualTo(1);

            Cache late = manager.getCache("late");
            late.put("a", "A");
            late.get("a");

            assertThat(bindings.count("late")).isEqualTo(1);
            assertThat(registry.get("cache.gets").tags("cache", "late", "cache.manager", "cacheManager", "result", "hit")
                    .functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("multitier.cache.gets").tags("cache", "late", "tier", "l1", "result", "hit")
                    .functionCounter().count()).isEqualTo(1);
            assertThat(bindings.count("books")).isEqualTo(1);
        });
    }

    @Test
    void tagMetersCountDropsPerCacheAndEvictionsOncePerManagerWithoutARefusedRegistration() {
        // Micrometer warns of a refused registration once per JVM, then logs it at DEBUG: listen at DEBUG.
        Logger micrometer = (Logger) LoggerFactory.getLogger("io.micrometer");
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        Level level = micrometer.getLevel();
        micrometer.setLevel(Level.DEBUG);
        micrometer.addAppender(events);
        try {
            contextRunner.run(context -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
                MultiTierCache books = manager.getCache("books");
                MultiTierCache late = manager.getCache("late");
                books.put("1", "Dune", Set.of("author:herbert"));
                late.put("1", "Dune", Set.of("author:herbert"));

                manager.evictTags(List.of("author:herbert"));
                assertThat(books.get("1")).isNull();

                assertThat(counter(registry, "multitier.cache.tag.drops")).as("its L1 copy, then its Redis copy")
                        .isEqualTo(2);
                assertThat(registry.get("multitier.cache.tag.evictions").tags("cache.manager", "cacheManager", "origin",
                        "local").functionCounters()).singleElement()
                        .satisfies(counter -> assertThat(counter.count()).isEqualTo(1));
            });
        }
        finally {
            micrometer.detachAppender(events);
            micrometer.setLevel(level);
        }
        assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(message -> message.contains("already registered"));
    }

    @Test
    void redisTierMetersShowTheClosedBreakerAndNoFailures() {
        contextRunner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            runKnownSequence(context);

            assertThat(registry.get("multitier.cache.redis.circuit.state").tag("state", "closed").gauge().value())
                    .isEqualTo(1);
            assertThat(registry.get("multitier.cache.redis.circuit.state").tag("state", "open").gauge().value())
                    .isZero();
            assertThat(registry.get("multitier.cache.redis.circuit.state").tag("state", "half_open").gauge().value())
                    .isZero();
            assertThat(registry.get("multitier.cache.redis.failures").functionCounter().count()).isZero();
            assertThat(registry.get("multitier.cache.redis.timeouts").functionCounter().count()).isZero();
            assertThat(registry.get("multitier.cache.redis.rejected").functionCounter().count()).isZero();
        });
    }

    @Test
    void invalidationMetersCountWhatOneInstanceSendsAndTheOtherReceives() {
        contextRunner.run(a -> contextRunner.run(b -> {
            MeterRegistry registryA = a.getBean(MeterRegistry.class);
            MeterRegistry registryB = b.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(registryA.get("multitier.cache.invalidation.healthy").gauge().value()).isEqualTo(1);
                assertThat(registryB.get("multitier.cache.invalidation.peers").gauge().value()).isEqualTo(1);
                assertThat(registryA.get("multitier.cache.invalidation.heartbeat.round.trip").timeGauge()
                        .value(TimeUnit.NANOSECONDS)).isPositive();
            });
            long keysReceivedBefore = (long) registryB.get("multitier.cache.invalidation.keys")
                    .tag("direction", "received").functionCounter().count();
            DistributionSummary lag = registryB.get("multitier.cache.invalidation.lag").summary();
            long lagsBefore = lag.count();

            MultiTierCache books = a.getBean(MultiTierCacheManager.class).getCache("books");
            books.put("1", "Dune");
            books.evict("2");

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(registryB
                    .get("multitier.cache.invalidation.keys").tag("direction", "received").functionCounter().count())
                    .isEqualTo(keysReceivedBefore + 2));
            assertThat(registryA.get("multitier.cache.invalidation.keys").tag("direction", "sent").functionCounter()
                    .count()).isEqualTo(2);
            assertThat(registryA.get("multitier.cache.invalidation.messages").tag("direction", "sent")
                    .functionCounter().count()).isPositive();
            assertThat(registryB.get("multitier.cache.invalidation.messages").tag("direction", "received")
                    .functionCounter().count()).isPositive();
            assertThat(lag.count()).isGreaterThan(lagsBefore);
            assertThat(lag.getId().getBaseUnit()).isEqualTo("seconds");
            assertThat(lag.max()).as("seconds, not microseconds").isLessThan(5);
            for (String name : new String[] { "multitier.cache.invalidation.gaps",
                    "multitier.cache.invalidation.publish.failures", "multitier.cache.invalidation.degradations" }) {
                assertThat(registryA.get(name).functionCounter().count()).as(name).isZero();
            }
            assertThat(registryA.get("multitier.cache.invalidation.flushes").functionCounter().count()).isZero();
        }));
    }

    @Test
    void prometheusScrapeNamesEveryMeterFamily() {
        contextRunner.withBean(PrometheusMeterRegistry.class, () -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                .run(context -> {
                    PrometheusMeterRegistry prometheus = context.getBean(PrometheusMeterRegistry.class);
                    runKnownSequence(context);
                    await().atMost(Duration.ofSeconds(5)).until(() -> prometheus
                            .get("multitier.cache.invalidation.healthy").gauge().value() == 1);

                    String scrape = prometheus.scrape();

                    // Boot's registrar adds a "name" tag to every cache it binds.
                    String books = "cache=\"books\",cache_manager=\"cacheManager\",name=\"books\"";
                    assertThat(scrape).contains(
                            "cache_gets_total{" + books + ",result=\"hit\"} 2.0",
                            "cache_gets_total{" + books + ",result=\"miss\"} 3.0",
                            "cache_puts_total{" + books + "} 1.0",
                            "cache_evictions_total{" + books + "} 1.0",
                            "cache_size{" + books + "} 1.0",
                            "multitier_cache_gets_total{" + books + ",result=\"hit\",tier=\"l1\"} 1.0",
                            "multitier_cache_gets_total{" + books + ",result=\"miss\",tier=\"l2\"} 3.0",
                            "multitier_cache_size{" + books + ",tier=\"l1\"} 1.0",
                            "multitier_cache_evictions_total{cache=\"books\",cache_manager=\"cacheManager\",cause=\"size\","
                                    + "name=\"books\",tier=\"l1\"} 0.0",
                            "multitier_cache_loads_total{" + books + ",result=\"failure\"} 1.0",
                            "multitier_cache_load_duration_seconds_count{" + books + "} 1",
                            "multitier_cache_codec_errors_total{" + books + "} 0.0",
                            "multitier_cache_redis_circuit_state{state=\"closed\"} 1.0",
                            "multitier_cache_redis_failures_total 0.0",
                            "multitier_cache_invalidation_healthy 1.0",
                            "multitier_cache_invalidation_messages_total{direction=\"sent\"}",
                            "multitier_cache_invalidation_gaps_total 0.0",
                            "multitier_cache_invalidation_heartbeat_round_trip_seconds",
                            "multitier_cache_invalidation_lag_seconds_bucket{le=\"0.001\"} 0",
                            "multitier_cache_invalidation_lag_seconds_count 0");
                    assertThat(scrape).doesNotContain("key=");
                });
    }

    @Test
    void everyMeterTheGrafanaDashboardQueriesIsScraped() throws Exception {
        String dashboard = Files.readString(Path.of("../docs/grafana/multi-tier-cache.json"));
        Set<String> queried = new TreeSet<>();
        Matcher names = Pattern.compile("\\b((?:multitier_cache|cache)_[a-z_]+)\\b")
                .matcher(dashboard);
        while (names.find()) {
            queried.add(names.group(1));
        }
        assertThat(queried).contains("multitier_cache_gets_total", "multitier_cache_hot_keys");
        contextRunner.withBean(PrometheusMeterRegistry.class, () -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                .run(context -> {
                    runKnownSequence(context);
                    String scrape = context.getBean(PrometheusMeterRegistry.class).scrape();
                    assertThat(queried).allSatisfy(name -> assertThat(scrape).as(name)
                            .containsPattern("(?m)^" + name + "[{ ]"));
                });
    }

    /**
     * On {@code books}: miss, put, L1 hit, L2 hit (after dropping L1), load, failed load, evict.
     */
    @Test
    void stampedeMetersCountLeasesWaitsAndRejectedStores() {
        contextRunner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            MultiTierCache books = context.getBean(MultiTierCacheManager.class).getCache("books");
            assertThat(books.get("leased", () -> "value")).isEqualTo("value");
            assertThat(books.get("leased", () -> "again")).isEqualTo("value");

            assertThat(counter(registry, "multitier.cache.lock", "result", "acquired")).isEqualTo(1);
            assertThat(counter(registry, "multitier.cache.lock", "result", "takeover")).isZero();
            assertThat(counter(registry, "multitier.cache.lock", "result", "bypassed")).isZero();
            assertThat(books(registry, "multitier.cache.lock.wait").functionTimer().count()).isZero();
            assertThat(counter(registry, "multitier.cache.lock.wait.results", "result", "timeout")).isZero();
            assertThat(counter(registry, "multitier.cache.stores.rejected")).isZero();
            assertThat(counter(registry, "multitier.cache.stale.serves")).isZero();
            assertThat(counter(registry, "multitier.cache.refreshes", "result", "success")).isZero();
        });
    }

    @Test
    void hotKeyMetersCountHotKeysPromotionsAndCooldownsWithoutKeyTags() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.books.hot-keys.window=1s",
                "multi-tier-cache.caches.books.hot-keys.min-reads-per-second=100").run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            MultiTierCache books = context.getBean(MultiTierCacheManager.class).getCache("books");
            books.put("celebrity", "C");
            assertThat(books(registry, "multitier.cache.hot.keys", "source", "local").gauge().value()).isZero();

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
                for (int i = 0; i < 50; i++) {
                    books.get("celebrity");
                }
                return books(registry, "multitier.cache.hot.keys", "source", "local").gauge().value() == 1;
            });
            assertThat(counter(registry, "multitier.cache.hot.promotions")).isEqualTo(1);
            assertThat(books(registry, "multitier.cache.hot.keys", "source", "announced").gauge().value()).isZero();
            assertThat(counter(registry, "multitier.cache.hot.replica.reads", "result", "hit")).as("standalone").isZero();

            await().atMost(Duration.ofSeconds(5))
                    .until(() -> books(registry, "multitier.cache.hot.keys", "source", "local").gauge().value() == 0);
            assertThat(counter(registry, "multitier.cache.hot.cooldowns")).isEqualTo(1);
            assertThat(registry.getMeters()).allSatisfy(meter -> assertThat(meter.getId().getTag("key")).isNull());
        });
    }

    private static MultiTierCache runKnownSequence(AssertableApplicationContext context) {
        MultiTierCache books = context.getBean(MultiTierCacheManager.class).getCache("books");
        TieredCache engine = books.getNativeCache();
        assertThat(books.get("a")).isNull();
        books.put("a", "A");
        assertThat(books.get("a").get()).isEqualTo("A");
        engine.clearLocal();
        assertThat(books.get("a").get()).isEqualTo("A");
        assertThat(books.get("b", () -> {
            Thread.sleep(20);
            return "B";
        })).isEqualTo("B");
        assertThatExceptionOfType(Cache.ValueRetrievalException.class)
                .isThrownBy(() -> books.get("c", () -> {
                    throw new IllegalStateException("backend down");
                }));
        books.evict("a");
        return books;
    }

    private static double counter(MeterRegistry registry, String name, String... tags) {
        return books(registry, name, tags).functionCounter().count();
    }

    private static RequiredSearch books(MeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags("cache", "books", "cache.manager", "cacheManager").tags(tags);
    }

    private static double evictions(MeterRegistry registry, String cache, String cause) {
        return registry.get("multitier.cache.evictions").tags("cache", cache, "tier", "l1", "cause", cause)
                .functionCounter().count();
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingConfiguration {
    }

    @Configuration(proxyBeanMethods = false)
    static class BindingCounterConfiguration {

        @Bean
        BindingCounter bindingCounter() {
            return new BindingCounter();
        }
    }

    /** Counts how often each cache's meters are bound. */
    static class BindingCounter implements MultiTierCacheMeterContributor {

        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        @Override
        public void bindTo(TieredCache cache, Tags tags, MeterRegistry registry) {
            counts.computeIfAbsent(cache.name(), name -> new AtomicInteger()).incrementAndGet();
        }

        int count(String cache) {
            AtomicInteger count = counts.get(cache);
            return (count != null) ? count.get() : 0;
        }
    }
}
