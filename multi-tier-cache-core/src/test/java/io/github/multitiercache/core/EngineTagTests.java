package io.github.multitiercache.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.codec.EntryTags;
import io.github.multitiercache.core.l1.L1Entry;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache.ValueWrapper;

import static io.github.multitiercache.core.FastEngine.leased;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tags against the in-memory twin of Redis with a fake clock: an eviction of a tag reaches L1 and
 * Redis on this instance at once and on the others with the message, under lost messages, a Redis
 * restart and a lost write; entries written after it are served; the L1 hit checks the tags only
 * when a tag eviction was learned since.
 */
class EngineTagTests {

    private final FastEngine engine = new FastEngine();

    @Test
    void aTagEvictionDropsL1AndRedisCopiesHereAtOnceAndOnTheOtherInstanceWithTheMessage() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        cacheA.put("k", "v", Set.of("product:1"));
        cacheA.put("untagged", "u");
        assertThat(cacheB.lookup("k")).extracting(ValueWrapper::get).isEqualTo("v");
        assertThat(cacheB.lookup("k")).as("now an L1 hit on B").extracting(ValueWrapper::get).isEqualTo("v");
        int before = engine.redis.commands.get();

        a.tags().evict(List.of("product:1"));

        assertThat(engine.redis.commands.get() - before).as("one command for the tag").isEqualTo(1);
        assertThat(cacheA.lookup("k")).isNull();
        assertThat(cacheB.lookup("k")).isNull();
        assertThat(engine.node().cache("c", leased().build()).lookup("k")).as("a new instance reads the record")
                .isNull();
        assertThat(cacheA.lookup("untagged")).extracting(ValueWrapper::get).isEqualTo("u");
        assertThat(cacheB.statistics().tagDrops()).isPositive();
    }

    @Test
    void anEntryWrittenAfterTheEvictionIsServedEvenWithinTheSameMillisecond() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().l1Enabled(false).build());
        cacheA.put("k", "old", Set.of("t"));
        a.tags().evict(List.of("t"));
        cacheA.put("k", "new", Set.of("t"));
        assertThat(cacheA.lookup("k")).extracting(ValueWrapper::get).isEqualTo("new");
        assertThat(cacheB.lookup("k")).extracting(ValueWrapper::get).isEqualTo("new");
        assertThat(cacheB.get("k2", () -> "loaded", value -> Set.of("t"))).isEqualTo("loaded");
        assertThat(cacheA.lookup("k2")).extracting(ValueWrapper::get).isEqualTo("loaded");
    }

    @Test
    void aLoadThatStartedBeforeAnEvictionOnAnotherInstanceAndStoredAfterItIsNotServed() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        String loaded = cacheA.get("k", () -> {
            engine.time.advance(Duration.ofMillis(5));
            b.tags().evict(List.of("category:7"));
            engine.time.advance(Duration.ofMillis(5));
            return "read before the eviction";
        }, value -> Set.of("category:7"));
        assertThat(loaded).as("the caller gets what it loaded").isEqualTo("read before the eviction");
        assertThat(cacheA.lookup("k")).isNull();
        assertThat(cacheB.lookup("k")).isNull();
        AtomicInteger loads = new AtomicInteger();
        assertThat(cacheA.get("k", () -> "reloaded " + loads.incrementAndGet(), value -> Set.of("category:7")))
                .isEqualTo("reloaded 1");
        assertThat(cacheB.lookup("k")).extracting(ValueWrapper::get).isEqualTo("reloaded 1");
    }

    @Test
    void aLoadThatStartedBeforeAnEvictionOnTheSameInstanceIsNotServedEvenWithoutTimePassing() {
        FastEngine.Node a = engine.node();
        TieredCache cache = a.cache("c", leased().build());
        cache.get("k", () -> {
            a.tags().evict(List.of("t"));
            return "stale";
        }, value -> Set.of("t"));
        assertThat(cache.lookup("k")).isNull();
    }

    @Test
    void anAsynchronousLoadCarriesItsTagsOnBothInstances() throws Exception {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        assertThat(cacheA.retrieve("k", () -> CompletableFuture.completedFuture("v"), value -> Set.of("product:1"))
                .get()).isEqualTo("v");
        assertThat(cacheB.lookup("k")).extracting(ValueWrapper::get).isEqualTo("v");
        assertThat(cacheA.retrieve("k", () -> CompletableFuture.completedFuture("reloaded"),
                value -> Set.of("product:1")).get()).as("an L1 hit").isEqualTo("v");

        b.tags().evict(List.of("product:1"));

        assertThat(cacheA.lookup("k")).isNull();
        assertThat(cacheB.lookup("k")).isNull();
    }

    @Test
    void anAsynchronousLoadWhoseFutureCompletesAfterAnEvictionIsNotServed() throws Exception {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        CompletableFuture<String> source = new CompletableFuture<>();
        CompletableFuture<String> loading = cacheA.retrieve("k", () -> source, value -> Set.of("category:7"));
        engine.time.advance(Duration.ofMillis(5));
        b.tags().evict(List.of("category:7"));
        engine.time.advance(Duration.ofMillis(5));
        source.complete("read before the eviction");

        assertThat(loading.get()).as("the caller gets what it loaded").isEqualTo("read before the eviction");
        assertThat(cacheA.lookup("k")).isNull();
        assertThat(cacheB.lookup("k")).isNull();
        assertThat(cacheA.retrieve("k", () -> CompletableFuture.completedFuture("reloaded"),
                value -> Set.of("category:7")).get()).isEqualTo("reloaded");
        assertThat(cacheB.lookup("k")).extracting(ValueWrapper::get).isEqualTo("reloaded");
    }

    @Test
    void anAsynchronousLoadWithAFailingTagFunctionIsReturnedButNotServed() throws Exception {
        TieredCache cache = engine.node().cache("c", leased().build());
        assertThat(cache.retrieve("k", () -> CompletableFuture.completedFuture("v"), value -> {
            throw new IllegalStateException("no tags");
        }).get()).isEqualTo("v");
        assertThat(cache.lookup("k")).isNull();
    }

    @Test
    void aLostMessageIsCoveredWhenTheGapDropsTheTagKnowledgeWithL1() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        cacheA.put("k", "v", Set.of("t"));
        assertThat(cacheB.lookup("k")).extracting(ValueWrapper::get).isEqualTo("v");
        assertThat(b.tags().knownEviction("t")).as("learned from Redis: never evicted").isZero();
        engine.losingMessages = true;
        a.tags().evict(List.of("t"));
        engine.losingMessages = false;
        assertThat(cacheB.lookup("k")).as("the message was lost: B serves until it sees the gap").isNotNull();
        // The bus sees the gap in A's numbers and drops L1 (ChannelTrust.gap): the knowledge goes with it.
        b.guard.invalidateAll();
        assertThat(cacheB.lookup("k")).isNull();
        assertThat(b.tags().knownEviction("t")).isPositive();
    }

    @Test
    void aRedisRestartThatLosesTheRecordsServesNothingStale() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        cacheA.put("k", "v", Set.of("t"));
        assertThat(cacheB.lookup("k")).isNotNull();
        a.tags().evict(List.of("t"));
        engine.redis.flush();
        // The restart re-subscribes the channel: the gap drops L1 and the knowledge.
        b.guard.invalidateAll();
        assertThat(cacheA.lookup("k")).isNull();
        assertThat(cacheB.lookup("k")).isNull();
        cacheA.put("k", "after", Set.of("t"));
        assertThat(cacheB.lookup("k")).extracting(ValueWrapper::get).isEqualTo("after");
    }

    @Test
    void anEvictionRedisDidNotTakeIsOwedRetriedAndAnnouncedAgain() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        cacheA.put("k", "v", Set.of("t"));
        assertThat(cacheB.lookup("k")).isNotNull();
        engine.redis.losing(true);
        engine.losingMessages = true;
        long evictedAt = a.tags().evict(List.of("t"));
        engine.losingMessages = false;
        assertThat(cacheA.lookup("k")).as("known here at once").isNull();
        assertThat(a.tags().owedRecords()).isEqualTo(1);
        assertThat(engine.redis.tagRecord("t")).isNull();
        engine.time.advance(Duration.ofSeconds(1));
        assertThat(a.tags().owedRecords()).as("still refused").isEqualTo(1);
        engine.redis.losing(false);
        engine.time.advance(Duration.ofMillis(500));
        assertThat(a.tags().owedRecords()).isZero();
        assertThat(engine.redis.tagRecord("t")).isEqualTo(evictedAt);
        assertThat(cacheB.lookup("k")).as("announced again with the retry").isNull();
        assertThat(engine.node().cache("c", leased().build()).lookup("k")).isNull();
    }

    @Test
    void aTagUnknownHereIsFetchedOnceAndAMissWhileRedisDoesNotAnswer() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().l1Enabled(false).build());
        cacheA.put("k", "v", Set.of("t1", "t2"));
        assertThat(cacheB.lookup("k")).isNotNull();
        assertThat(cacheB.lookup("k")).isNotNull();
        assertThat(b.tags().fetches()).isEqualTo(1);
        FastEngine.Node c = engine.node();
        TieredCache cacheC = c.cache("c", leased().l1Enabled(false).build());
        // Redis answers the GET but not the MGET of the tags.
        engine.redis.onCommand(count -> count == 2);
        assertThat(cacheC.lookup("k")).isNull();
        engine.redis.onCommand(count -> false);
        assertThat(cacheC.lookup("k")).isNotNull();
    }

    @Test
    void anL1HitChecksItsTagsOnlyWhenATagEvictionWasLearnedSince() {
        FastEngine.Node a = engine.node();
        TieredCache cache = a.cache("c", leased().build());
        cache.put("k", "v", Set.of("t"));
        L1Entry entry = (L1Entry) cache.l1Hit("k");
        assertThat(entry).isNotNull();
        int epoch = a.tags().epoch();
        assertThat(entry.tagEpoch()).as("validated in the current epoch").isEqualTo(epoch);
        a.tags().evict(List.of("unrelated"));
        assertThat(a.tags().epoch()).isGreaterThan(epoch);
        assertThat(cache.l1Hit("k")).as("still valid").isSameAs(entry);
        assertThat(entry.tagEpoch()).isEqualTo(a.tags().epoch());
        a.tags().evict(List.of("t"));
        assertThat(cache.l1Hit("k")).isNull();
        assertThat(cache.statistics().tagDrops()).isEqualTo(1);
    }

    @Test
    void bulkAndAsynchronousReadsApplyTheSameCheck() throws Exception {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache cacheA = a.cache("c", leased().build());
        TieredCache cacheB = b.cache("c", leased().build());
        Map<Integer, String> loaded = cacheA.getAll(List.of(1, 2, 3),
                missing -> Map.of(1, "one", 2, "two", 3, "three"), null,
                (key, value) -> Set.of("n:" + (key % 2)));
        assertThat(loaded).containsEntry(1, "one").hasSize(3);
        assertThat(cacheB.getAll(List.of(1, 2, 3))).hasSize(3);
        a.tags().evict(List.of("n:1"));
        assertThat(cacheA.getAll(List.of(1, 2, 3))).containsOnlyKeys(2);
        assertThat(cacheB.getAll(List.of(1, 2, 3))).containsOnlyKeys(2);
        FastEngine.Node d = engine.node();
        TieredCache cacheD = d.cache("c", leased().build());
        assertThat(cacheD.getAll(List.of(1, 2, 3))).containsOnlyKeys(2);
        assertThat(d.tags().fetches()).as("the tags of every entry read in one fetch").isEqualTo(1);
        TieredCache cacheC = engine.node().cache("c", leased().build());
        assertThat(cacheC.retrieve(1).get()).isNull();
        assertThat(cacheC.retrieve(2).get()).extracting(ValueWrapper::get).isEqualTo("two");
    }

    @Test
    void nullAndBlankTagsAreIgnoredAndAFailingTagFunctionKeepsTheValueOutOfTheCache() {
        FastEngine.Node a = engine.node();
        TieredCache cache = a.cache("c", leased().build());
        java.util.Set<String> tags = new java.util.HashSet<>();
        tags.add(null);
        tags.add(" ");
        tags.add("t");
        cache.put("k", "v", tags);
        assertThat(cache.lookup("k")).isNotNull();
        assertThat(cache.get("f", () -> "v", value -> {
            throw new IllegalStateException("no tags");
        })).isEqualTo("v");
        assertThat(cache.lookup("f")).isNull();
        a.tags().evict(List.of("t"));
        assertThat(cache.lookup("k")).isNull();
    }

    @Test
    void theRecordOutlivesTheLongestEntryOfTheManagersCaches() {
        FastEngine.Node a = engine.node();
        a.cache("short", leased().l2Ttl(Duration.ofMinutes(1)).build());
        a.cache("long", leased().l2Ttl(Duration.ofHours(1)).build());
        a.tags().evict(List.of("t"));
        assertThat(engine.redis.tagRecordTtls.get("t")).isGreaterThan(Duration.ofHours(1).toMillis());
    }

    @Test
    void anEvictionLimitedToOneCacheDropsItsEntriesOnEveryInstanceAndLeavesTheOtherCachesServing() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache productsA = a.cache("products", leased().build());
        TieredCache searchesA = a.cache("searches", leased().build());
        TieredCache productsB = b.cache("products", leased().build());
        TieredCache searchesB = b.cache("searches", leased().build());
        productsA.put("1", "product", Set.of("category:1"));
        searchesA.put("q", "results", Set.of("category:1"));
        assertThat(productsB.lookup("1")).isNotNull();
        assertThat(searchesB.lookup("q")).isNotNull();
        int before = engine.redis.commands.get();

        a.tags().evict(List.of("category:1"), List.of("searches"));

        assertThat(engine.redis.commands.get() - before).as("one command for the (cache, tag)").isEqualTo(1);
        assertThat(searchesA.lookup("q")).isNull();
        assertThat(searchesB.lookup("q")).isNull();
        assertThat(productsA.lookup("1")).extracting(ValueWrapper::get).isEqualTo("product");
        assertThat(productsB.lookup("1")).extracting(ValueWrapper::get).isEqualTo("product");
        FastEngine.Node d = engine.node();
        assertThat(d.cache("searches", leased().build()).lookup("q")).as("a new instance reads the record").isNull();
        assertThat(d.cache("products", leased().build()).lookup("1")).extracting(ValueWrapper::get)
                .isEqualTo("product");
        searchesB.put("q", "new results", Set.of("category:1"));
        assertThat(searchesA.lookup("q")).as("written after the eviction").extracting(ValueWrapper::get)
                .isEqualTo("new results");
        a.tags().evict(List.of("category:1"));
        assertThat(productsB.lookup("1")).as("an eviction from every cache still reaches it").isNull();
    }

    @Test
    void aLostMessageOfAnEvictionLimitedToOneCacheIsCoveredByItsRecordAfterTheGap() {
        FastEngine.Node a = engine.node();
        FastEngine.Node b = engine.node();
        TieredCache searchesA = a.cache("searches", leased().build());
        TieredCache searchesB = b.cache("searches", leased().build());
        TieredCache productsB = b.cache("products", leased().build());
        searchesA.put("q", "results", Set.of("t"));
        productsB.put("1", "product", Set.of("t"));
        assertThat(searchesB.lookup("q")).isNotNull();
        engine.losingMessages = true;
        a.tags().evict(List.of("t"), List.of("searches"));
        engine.losingMessages = false;
        assertThat(searchesB.lookup("q")).as("the message was lost: B serves until it sees the gap").isNotNull();
        b.guard.invalidateAll();
        assertThat(searchesB.lookup("q")).isNull();
        assertThat(b.tags().knownEviction("t", "searches")).isPositive();
        assertThat(b.tags().knownEviction("t")).as("not evicted from every cache").isZero();
        assertThat(productsB.lookup("1")).extracting(ValueWrapper::get).isEqualTo("product");
    }

    @Test
    void aTagWithAControlCharacterIsRefusedSoThatNoTagCanPassForAnEvictionLimitedToACache() {
        FastEngine.Node a = engine.node();
        TieredCache searches = a.cache("searches", leased().build());
        searches.put("q", "results", Set.of("t"));
        assertThat(a.tags().evict(List.of("searches" + EntryTags.SCOPE + "t"))).as("refused").isZero();
        assertThat(searches.lookup("q")).extracting(ValueWrapper::get).isEqualTo("results");
        searches.put("k", "v", Set.of("line\nbreak"));
        assertThat(searches.insight().tagsInL1("k")).as("the bad tag is left out").isEmpty();
        assertThat(a.tags().evict(List.of("t"), java.util.Arrays.asList(null, " "))).as("no valid cache").isZero();
        assertThat(searches.lookup("q")).isNotNull();
    }

    @Test
    void aTagUnknownOnAThreadThatMustNotBlockIsAMissAndIsLearnedInTheBackgroundForTheNextRead() throws Exception {
        FastEngine.Node a = engine.node();
        a.cache("c", leased().build()).put("k", "v", Set.of("t"));
        FastEngine.Node b = engine.node();
        TieredCache cacheB = b.cache("c", leased().l1Enabled(false).build());
        List<Object> reads = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            // A Redis I/O thread: the check may not ask Redis for the tag's record.
            Thread io = new io.netty.util.concurrent.FastThreadLocalThread(() -> {
                ValueWrapper hit = cacheB.lookup("k");
                reads.add((hit != null) ? hit.get() : "miss");
            });
            io.start();
            io.join();
        }
        assertThat(reads).containsExactly("miss", "v");
        assertThat(b.tags().fetches()).isEqualTo(1);
    }
}
