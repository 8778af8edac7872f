package io.github.multitiercache.cdc;

import static io.github.multitiercache.cdc.CdcTestApp.createTable;
import static io.github.multitiercache.cdc.CdcTestApp.execute;
import static io.github.multitiercache.cdc.CdcTestApp.inL1;
import static io.github.multitiercache.cdc.CdcTestApp.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.multitiercache.testsupport.PostgresServer;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The consumer against a real PostgreSQL (logical replication, pgoutput) and a real Redis, with several
 * application contexts as instances of one service: evictions of keys, tags and whole caches, one
 * consumer per fleet with takeover, and database and Redis restarts.
 */
class CdcConsumerTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final AtomicInteger TABLES = new AtomicInteger();

    private static PostgresServer postgres;

    private static RedisServer redis;

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    private String name = "";

    @BeforeAll
    static void startServers() {
        postgres = PostgresServer.start();
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopServers() {
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void newTable() {
        name = "products_" + TABLES.incrementAndGet();
        createTable(postgres, name, 20);
    }

    @AfterEach
    void closeContexts() {
        contexts.forEach(ConfigurableApplicationContext::close);
        contexts.clear();
    }

    private ConfigurableApplicationContext instance(String... extra) {
        List<String> properties = CdcTestApp.properties(redis, postgres, name);
        properties.addAll(List.of(extra));
        ConfigurableApplicationContext context = CdcTestApp.start(properties);
        contexts.add(context);
        return context;
    }

    private static CdcConsumer consumer(ConfigurableApplicationContext context) {
        return context.getBean(CdcConsumer.class);
    }

    private static CdcTestApp.ProductService service(ConfigurableApplicationContext context) {
        return context.getBean(CdcTestApp.ProductService.class);
    }

    private static List<String> tags(ConfigurableApplicationContext context) {
        return context.getBean(CdcTestApp.RecordingTagEvictor.class).tags;
    }

    private static void awaitStreaming(ConfigurableApplicationContext context) {
        await().atMost(WAIT).until(() -> "STREAMING".equals(consumer(context).status().state()));
    }

    private String redisKey(long id) {
        return name + ":products:" + id;
    }

    @Test
    void tenRowsChangedInOneTransactionLeaveRedisWithFewerDeletesThanRows() {
        ConfigurableApplicationContext a = instance();
        awaitStreaming(a);
        for (long id = 1; id <= 10; id++) {
            service(a).find(id);
        }
        redis.command("CONFIG", "RESETSTAT");

        execute(postgres, "UPDATE " + name + " SET name = 'changed' WHERE id <= 10");

        await().atMost(WAIT).until(() -> consumer(a).status().keysEvicted() == 10);
        for (long id = 1; id <= 10; id++) {
            assertThat(redis.command("EXISTS", redisKey(id))).isEqualTo(0L);
        }
        // The keys of a batch go in one UNLINK; one transaction may arrive in more than one batch.
        Matcher unlinks = Pattern.compile("cmdstat_unlink:calls=(\\d+)").matcher(redis.info("commandstats"));
        assertThat(unlinks.find()).isTrue();
        assertThat(Long.parseLong(unlinks.group(1))).isLessThan(10);
    }

    @Test
    void theHolderShowsATableWithoutReplicaIdentityFullWhoseTagsReadAnotherColumnWithTheFix() {
        execute(postgres, "ALTER TABLE " + name + " REPLICA IDENTITY DEFAULT");
        ConfigurableApplicationContext a = instance();
        awaitStreaming(a);

        assertThat(consumer(a).status().replicaIdentity()).singleElement().satisfies(table -> {
            assertThat(table.table()).isEqualTo("public." + name);
            assertThat(table.replicaIdentity()).isEqualTo("DEFAULT");
            assertThat(table.columnsMissed()).containsExactly("category_id", "qty");
            assertThat(table.fix()).isEqualTo("ALTER TABLE public." + name + " REPLICA IDENTITY FULL;");
        });
    }

    @Test
    void anUpdateEvictsTheRowsKeyFromRedisAndFromTheL1OfEveryInstanceUnderTheKeyOfCacheableFindLong() {
        ConfigurableApplicationContext a = instance();
        awaitStreaming(a);
        ConfigurableApplicationContext b = instance();
        assertThat(consumer(b).status().state()).isEqualTo("STANDBY");

        // (L1 copies may also go on their own while L1 is degraded on a loaded machine: re-read until held.)
        await().atMost(WAIT).until(() -> {
            service(a).find(1L);
            service(b).find(1L);
            return inL1(a, 1L) && inL1(b, 1L);
        });
        service(a).find(2L);
        assertThat(redis.command("EXISTS", redisKey(1), redisKey(2))).isEqualTo(2L);

        execute(postgres, "UPDATE " + name + " SET name = 'changed' WHERE id = 1");

        await().atMost(WAIT).until(() -> consumer(a).status().keysEvicted() == 1);
        assertThat(redis.command("EXISTS", redisKey(1))).isEqualTo(0L);
        assertThat(inL1(a, 1L) || inL1(b, 1L)).as("no instance keeps the key in L1").isFalse();
        assertThat(redis.command("EXISTS", redisKey(2))).as("a row that did not change stays cached").isEqualTo(1L);
        assertThat(consumer(b).status().changesSeen()).as("only the lease holder consumes").isZero();
    }

    @Test
    void tagsComeFromBothImagesSoAnUpdateMovingARowToAnotherCategoryEvictsBothCategories() {
        ConfigurableApplicationContext a = instance();
        awaitStreaming(a);

        execute(postgres, "UPDATE " + name + " SET category_id = 20 WHERE id = 2");
        execute(postgres, "INSERT INTO " + name + " VALUES (100, 'new', 30, 1)");
        execute(postgres, "DELETE FROM " + name + " WHERE id = 3");

        await().atMost(WAIT).until(() -> tags(a).containsAll(
                List.of("product:2", "category:10", "category:20", "product:100", "category:30", "product:3")));
        // Counted once the eviction has returned.
        await().atMost(WAIT).until(() -> consumer(a).status().tagsEvicted() >= 6);
    }

    @Test
    void aChangedRowEvictsTheEntriesTaggedWithItsCategoryOnEveryInstance() {
        ConfigurableApplicationContext a = instance();
        awaitStreaming(a);
        ConfigurableApplicationContext b = instance();
        // A search result showing products of category 10, and one of category 99.
        CdcTestApp.products(a).put("search:p", "products 1..20", Set.of("category:10"));
        CdcTestApp.products(a).put("search:q", "nothing", Set.of("category:99"));
        await().atMost(WAIT).until(() -> CdcTestApp.products(b).get("search:p", () -> "reloaded") != null
                && inL1(b, "search:p"));
        assertThat(redis.command("EXISTS", name + ":products:search:p")).isEqualTo(1L);

        execute(postgres, "UPDATE " + name + " SET name = 'changed' WHERE id = 5");

        await().atMost(WAIT).until(() -> !inL1(a, "search:p") && !inL1(b, "search:p"));
        assertThat(CdcTestApp.products(b).get("search:p", () -> "reloaded")).isEqualTo("reloaded");
        assertThat(CdcTestApp.products(a).lookup("search:q")).as("another category's entry stays").isNotNull();
    }

    @Test
    void aTruncateClearsTheMappedCachesOnEveryInstance() {
        ConfigurableApplicationContext a = instance();
        awaitStreaming(a);
        ConfigurableApplicationContext b = instance();
        service(a).find(1L);
        service(b).find(2L);

        assertThat(redis.command("EXISTS", redisKey(1), redisKey(2))).isEqualTo(2L);

        execute(postgres, "TRUNCATE " + name);

        await().atMost(WAIT).until(() -> consumer(a).status().cachesCleared() == 1);
        assertThat(redis.command("EXISTS", redisKey(1), redisKey(2))).isEqualTo(0L);
        assertThat(inL1(a, 1L) || inL1(b, 2L)).as("no instance keeps an entry in L1").isFalse();
    }

    @Test
    void aRowWhoseMappingFailsIsCountedAndTheRestOfItsBatchIsStillEvicted() {
        ConfigurableApplicationContext a = instance();
        awaitStreaming(a);
        service(a).find(2L);

        // One transaction, one batch: row 1's tag per-unit:#{100 / qty} divides by zero.
        execute(postgres, "BEGIN; UPDATE " + name + " SET qty = 0 WHERE id = 1; UPDATE " + name
                + " SET name = 'changed' WHERE id = 2; COMMIT");

        await().atMost(WAIT).until(() -> tags(a).contains("product:2"));
        assertThat(consumer(a).status().mappingFailures()).isEqualTo(1);
        assertThat(redis.command("EXISTS", redisKey(2))).isEqualTo(0L);
        assertThat(inL1(a, 2L)).isFalse();
        assertThat(consumer(a).status().state()).isEqualTo("STREAMING");
    }

    @Test
    void whenTheHoldersContextClosesMidStreamAnotherInstanceTakesOverAndNoChangeIsLost() throws Exception {
        String versionTag = "multi-tier-cache.cdc.tables[public." + name + "].tags[3]=v:#{name}";
        ConfigurableApplicationContext a = instance(versionTag);
        awaitStreaming(a);
        ConfigurableApplicationContext b = instance(versionTag);
        assertThat(consumer(b).status().leaseHolder()).isFalse();
        List<String> tagsOfA = tags(a);
        List<String> tagsOfB = tags(b);

        int changes = 150;
        Thread writer = new Thread(() -> {
            for (int i = 1; i <= changes; i++) {
                execute(postgres, "UPDATE " + name + " SET name = 'v" + i + "' WHERE id = " + (1 + i % 20));
                sleep(10);
            }
        });
        writer.start();
        await().atMost(WAIT).until(() -> tagsOfA.stream().anyMatch(tag -> tag.startsWith("v:")));
        a.close();
        writer.join();

        await().atMost(WAIT).until(() -> consumer(b).status().leaseHolder());
        await().atMost(WAIT).untilAsserted(() -> {
            Set<String> seen = new HashSet<>(tagsOfA);
            seen.addAll(tagsOfB);
            for (int i = 1; i <= changes; i++) {
                assertThat(seen).contains("v:v" + i);
            }
        });
        Set<String> replayed = new HashSet<>(tagsOfA);
        replayed.retainAll(new HashSet<>(tagsOfB));
        replayed.removeIf(tag -> !tag.startsWith("v:"));
        assertThat(tagsOfA).as("the first holder consumed part of the stream").anyMatch(tag -> tag.startsWith("v:"));
        assertThat(replayed.size()).as("changes evicted by both instances (replayed after takeover)")
                .isLessThan(changes / 2);
    }

    @Test
    void aHolderThatFindsItsLeaseTakenStopsConsumingAndTheChangesWaitInTheSlotUntilALeaseHolderReadsThem() {
        String versionTag = "multi-tier-cache.cdc.tables[public." + name + "].tags[3]=v:#{name}";
        ConfigurableApplicationContext a = instance(versionTag);
        awaitStreaming(a);
        String leaseKey = consumer(a).status().leaseKey();

        // Another holder's token, as if A had paused past its lease and someone took over (for 4 s).
        redis.command("SET", leaseKey, "someone-else", "PX", "4000");
        await().atMost(WAIT).until(() -> !consumer(a).status().leaseHolder());
        long seen = consumer(a).status().changesSeen();
        execute(postgres, "UPDATE " + name + " SET name = 'while-lease-elsewhere' WHERE id = 1");
        sleep(1000);
        assertThat(consumer(a).status().changesSeen()).as("no consumption without the lease").isEqualTo(seen);
        assertThat(tags(a)).doesNotContain("v:while-lease-elsewhere");

        // The foreign lease expires: A takes it again and reads the change from the slot.
        await().atMost(WAIT).until(() -> tags(a).contains("v:while-lease-elsewhere"));
        assertThat(consumer(a).status().leaseHolder()).isTrue();
    }

    @Test
    void aBatchWhoseTagEvictionFailsIsDeliveredAgainUntilItSucceeds() {
        String versionTag = "multi-tier-cache.cdc.tables[public." + name + "].tags[3]=v:#{name}";
        ConfigurableApplicationContext a = instance(versionTag);
        awaitStreaming(a);
        CdcTestApp.RecordingTagEvictor evictor = a.getBean(CdcTestApp.RecordingTagEvictor.class);
        evictor.failing = true;

        execute(postgres, "UPDATE " + name + " SET name = 'retried' WHERE id = 1");
        await().atMost(WAIT).until(() -> evictor.failures.get() >= 2);
        evictor.failing = false;

        await().atMost(WAIT).until(() -> tags(a).contains("v:retried"));
        assertThat(consumer(a).status().engineStarts()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aDatabaseRestartLosesNoChange() {
        String versionTag = "multi-tier-cache.cdc.tables[public." + name + "].tags[3]=v:#{name}";
        ConfigurableApplicationContext a = instance(versionTag);
        awaitStreaming(a);
        execute(postgres, "UPDATE " + name + " SET name = 'before-restart' WHERE id = 1");

        postgres.stop();
        postgres.restart();
        execute(postgres, "UPDATE " + name + " SET name = 'after-restart' WHERE id = 2");

        await().atMost(WAIT).until(() -> tags(a).containsAll(List.of("v:before-restart", "v:after-restart")));
        assertThat(consumer(a).status().engineStarts()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aRedisRestartReestablishesTheLeaseAndTheOffsetsAndLosesNoChange() {
        String versionTag = "multi-tier-cache.cdc.tables[public." + name + "].tags[3]=v:#{name}";
        ConfigurableApplicationContext a = instance(versionTag);
        awaitStreaming(a);
        execute(postgres, "UPDATE " + name + " SET name = 'before-redis-restart' WHERE id = 1");
        await().atMost(WAIT).until(() -> tags(a).contains("v:before-redis-restart"));
        String leaseKey = consumer(a).status().leaseKey();
        String offsetKey = name + ":__cdc:" + name + ":offsets";
        assertThat(redis.command("EXISTS", offsetKey)).isEqualTo(1L);

        redis.restart();
        assertThat(redis.command("EXISTS", leaseKey, offsetKey)).isEqualTo(0L);
        execute(postgres, "UPDATE " + name + " SET name = 'after-redis-restart' WHERE id = 2");

        await().atMost(WAIT).until(() -> tags(a).contains("v:after-redis-restart"));
        await().atMost(WAIT).until(() -> Long.valueOf(2L).equals(redis.command("EXISTS", leaseKey, offsetKey)));
        assertThat(consumer(a).status().leaseHolder()).isTrue();
    }

    @Test
    void offsetsLostFromRedisFallBackToTheSlotsConfirmedPositionSoAChangeMadeWithoutAConsumerIsStillEvicted() {
        String versionTag = "multi-tier-cache.cdc.tables[public." + name + "].tags[3]=v:#{name}";
        ConfigurableApplicationContext a = instance(versionTag);
        awaitStreaming(a);
        execute(postgres, "UPDATE " + name + " SET name = 'first' WHERE id = 1");
        await().atMost(WAIT).until(() -> tags(a).contains("v:first"));
        a.close();

        execute(postgres, "UPDATE " + name + " SET name = 'while-no-consumer' WHERE id = 2");
        redis.flushAll();

        ConfigurableApplicationContext b = instance(versionTag);
        await().atMost(WAIT).until(() -> tags(b).contains("v:while-no-consumer"));
    }
}
