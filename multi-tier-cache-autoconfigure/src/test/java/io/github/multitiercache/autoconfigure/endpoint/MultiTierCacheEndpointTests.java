package io.github.multitiercache.autoconfigure.endpoint;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code multitiercache}, {@code caches} and {@code health} endpoints over HTTP in a running
 * application (instance A, on a real port), with a second instance B on the same Redis to show
 * what reaches the other instances.
 */
class MultiTierCacheEndpointTests {

    private static final RedisServer redis = RedisServer.shared();

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static ConfigurableApplicationContext instanceA;

    private static ConfigurableApplicationContext instanceB;

    private static String baseUrl;

    @BeforeAll
    static void startInstances() {
        instanceA = application(WebApplicationType.SERVLET).run();
        instanceB = application(WebApplicationType.NONE).run();
        baseUrl = "http://127.0.0.1:" + instanceA.getEnvironment().getProperty("local.server.port") + "/actuator";
        await().atMost(Duration.ofSeconds(10)).until(() -> instanceA.getBean(InvalidationBus.class).peerCount() == 1
                && instanceB.getBean(InvalidationBus.class).peerCount() == 1);
    }

    @AfterAll
    static void stopInstances() {
        if (instanceB != null) {
            instanceB.close();
        }
        if (instanceA != null) {
            instanceA.close();
        }
    }

    @BeforeEach
    void startClean() {
        redis.flushAll();
        instanceA.getBean(MultiTierCacheManager.class).clearLocal();
        instanceB.getBean(MultiTierCacheManager.class).clearLocal();
    }

    @Test
    void overviewShowsSettingsTierStatisticsAndTheChannel() throws Exception {
        MultiTierCache books = books(instanceA);
        long l1HitsBefore = books.getNativeCache().statistics().l1Hits();
        books.put("1", "Dune");
        books.get("1");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            DocumentContext json = json(get("/multitiercache"), 200);
            String cache = "$.cacheManagers.cacheManager.caches.books";
            assertThat(json.read(cache + ".name", String.class)).isEqualTo("books");
            assertThat(json.read(cache + ".settings.l1Enabled", Boolean.class)).isTrue();
            assertThat(json.read(cache + ".settings.l1MaximumSize", Long.class)).isEqualTo(500);
            assertThat(json.read(cache + ".settings.l2Ttl", String.class)).isEqualTo("PT5M");
            assertThat(json.read(cache + ".l1.hits", Long.class)).isEqualTo(l1HitsBefore + 1);
            assertThat(json.read(cache + ".l1.size", Long.class)).isEqualTo(1);
            assertThat(json.read(cache + ".l2.enabled", Boolean.class)).isTrue();
            assertThat(json.read(cache + ".hitRatio", Double.class)).isBetween(0.0, 1.0);
            assertThat(json.read(cache + ".loads.count", Long.class)).isNotNull();
            assertThat(json.read("$.redis.circuitBreaker", String.class)).isEqualTo("CLOSED");
            assertThat(json.read("$.invalidation.enabled", Boolean.class)).isTrue();
            assertThat(json.read("$.invalidation.healthy", Boolean.class)).isTrue();
            assertThat(json.read("$.invalidation.channel", String.class)).isEqualTo("ep:invalidation");
            assertThat(json.read("$.invalidation.peers", Integer.class)).isEqualTo(1);
            assertThat(json.read("$.invalidation.lastMessageReceivedAt", String.class)).isNotNull();
            assertThat(json.read("$.invalidation.lastHeartbeatRoundTripMillis", Double.class)).isPositive();
        });
    }

    @Test
    void hotKeysAreListedWithTheirEstimatedRatesHereAndAsAnnouncedOnTheOtherInstance() throws Exception {
        MultiTierCache onA = instanceA.getBean(MultiTierCacheManager.class).getCache("trending");
        MultiTierCache onB = instanceB.getBean(MultiTierCacheManager.class).getCache("trending");
        onA.put("flash-sale", "50% off");
        onB.getNativeCache().lookup("flash-sale");

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            for (int i = 0; i < 50; i++) {
                onA.get("flash-sale");
            }
            DocumentContext json = json(get("/multitiercache/trending"), 200);
            assertThat(json.read("$.hotKeys.enabled", Boolean.class)).isTrue();
            assertThat(json.read("$.hotKeys.replicas", Integer.class)).as("standalone Redis").isZero();
            assertThat(json.read("$.hotKeys.promotions", Long.class)).isPositive();
            assertThat(json.read("$.hotKeys.keys[0].key", String.class)).isEqualTo("flash-sale");
            assertThat(json.read("$.hotKeys.keys[0].local", Boolean.class)).isTrue();
            assertThat(json.read("$.hotKeys.keys[0].readsPerSecond", Double.class)).isGreaterThanOrEqualTo(100);
            assertThat(onB.getNativeCache().insight().hotKeys()).singleElement()
                    .satisfies(hot -> assertThat(hot.announced()).isTrue());
        });
        onA.get("flash-sale");   // the first read from Redis since the key turned hot pins it
        DocumentContext key = json(get("/multitiercache/trending/flash-sale"), 200);
        assertThat(key.read("$.hot", Boolean.class)).isTrue();
        assertThat(key.<List<String>>read("$.heldIn")).as("pinned in L1 although L1 is off").contains("l1");
    }

    @Test
    void oneCacheAndAnUnknownOne() throws Exception {
        DocumentContext json = json(get("/multitiercache/books"), 200);
        assertThat(json.read("$.cacheManager", String.class)).isEqualTo("cacheManager");
        assertThat(json.read("$.l2.enabled", Boolean.class)).isTrue();

        assertThat(get("/multitiercache/no-such-cache").statusCode()).isEqualTo(404);
        assertThat(get("/multitiercache/no-such-cache/1").statusCode()).isEqualTo(404);
        assertThat(delete("/multitiercache/no-such-cache/1").statusCode()).isEqualTo(400);
        assertThat(instanceA.getBean(MultiTierCacheManager.class).getCacheNames()).doesNotContain("no-such-cache");
    }

    @Test
    void theTagsPathEvictsAndShowsATagOnEveryInstanceAndAKeyShowsItsTags() throws Exception {
        books(instanceA).put("7", "Solaris", java.util.Set.of("author:lem", "genre:sf"));
        assertThat(books(instanceB).get("7")).isNotNull();
        assertThat(json(get("/multitiercache/books/7"), 200).<List<String>>read("$.tags"))
                .containsExactlyInAnyOrder("author:lem", "genre:sf");

        DocumentContext evicted = json(delete("/multitiercache/tags/author:lem"), 200);
        long evictedAt = evicted.read("$.evictedAtMicros.cacheManager", Long.class);
        assertThat(evicted.read("$.tag", String.class)).isEqualTo("author:lem");

        assertThat(books(instanceA).get("7")).as("this instance, at once").isNull();
        await().atMost(Duration.ofSeconds(2)).until(() -> books(instanceB).get("7") == null);
        assertThat(json(get("/multitiercache/tags/author:lem"), 200).read("$.knownEvictionMicros.cacheManager",
                Long.class)).isEqualTo(evictedAt);
        DocumentContext overview = json(get("/multitiercache"), 200);
        assertThat(overview.read("$.cacheManagers.cacheManager.tags.recent[0].tag", String.class))
                .isEqualTo("author:lem");
        assertThat(overview.read("$.cacheManagers.cacheManager.tags.evictions", Long.class)).isPositive();
        assertThat(delete("/multitiercache/tags/%20").statusCode()).as("a blank tag").isEqualTo(400);
    }

    @Test
    void aTagEvictionLimitedByCacheNamesDropsTheTagInThoseCachesOnly() throws Exception {
        MultiTierCache trending = instanceA.getBean(MultiTierCacheManager.class).getCache("trending");
        books(instanceA).put("8", "Eden", java.util.Set.of("author:lem"));
        trending.put("8", "Eden", java.util.Set.of("author:lem"));

        DocumentContext evicted = json(delete("/multitiercache/tags/author:lem?cacheNames=books"), 200);

        assertThat(evicted.<List<String>>read("$.cacheNames")).containsExactly("books");
        assertThat(books(instanceA).get("8")).isNull();
        await().atMost(Duration.ofSeconds(2)).until(() -> books(instanceB).get("8") == null);
        assertThat(trending.get("8")).as("another cache keeps it").isNotNull();
        assertThat(instanceB.getBean(MultiTierCacheManager.class).getCache("trending").get("8")).isNotNull();
        DocumentContext tag = json(get("/multitiercache/tags/author:lem"), 200);
        assertThat(tag.read("$.knownCacheEvictionMicros.cacheManager.books", Long.class))
                .isEqualTo(evicted.read("$.evictedAtMicros.cacheManager", Long.class));
        assertThat(json(get("/multitiercache"), 200).read("$.cacheManagers.cacheManager.tags.recent[0].cache",
                String.class)).isEqualTo("books");
        assertThat(delete("/multitiercache/books/8?cacheNames=books").statusCode()).as("not for a key").isEqualTo(400);
    }

    @Test
    void oneKeyShowsWhichTiersHoldItAndForHowLong() throws Exception {
        books(instanceA).put("42", "Hyperion");
        books(instanceA).put("shelf/3", "Ubik");

        DocumentContext json = json(get("/multitiercache/books/42"), 200);
        assertThat(json.read("$.key", String.class)).isEqualTo("42");
        assertThat(json.read("$.redisKey", String.class)).isEqualTo("ep:books:42");
        assertThat(json.<List<String>>read("$.heldIn")).containsExactly("l1", "l2");
        assertThat(json.read("$.l1.remainingTtlMillis", Long.class)).isBetween(50_000L, 60_000L);
        assertThat(json.read("$.l2.remainingTtlMillis", Long.class)).isBetween(290_000L, 300_000L);

        DocumentContext slashed = json(get("/multitiercache/books/shelf/3"), 200);
        assertThat(slashed.read("$.redisKey", String.class)).isEqualTo("ep:books:shelf/3");
        assertThat(slashed.<List<String>>read("$.heldIn")).containsExactly("l1", "l2");

        DocumentContext absent = json(get("/multitiercache/books/7"), 200);
        assertThat(absent.<List<String>>read("$.heldIn")).isEmpty();
        assertThat(absent.read("$.l1.present", Boolean.class)).isFalse();
        assertThat(absent.read("$.l2.present", Boolean.class)).isFalse();
    }

    @Test
    void deletingOneKeyEvictsItFromRedisAndFromEveryInstancesL1() throws Exception {
        putOnA("5", "Solaris");
        assertThat(books(instanceB).get("5").get()).isEqualTo("Solaris");
        assertThat(heldInL1(instanceB, "5")).isTrue();

        DocumentContext json = json(delete("/multitiercache/books/5"), 200);

        assertThat(json.read("$.present", Boolean.class)).isTrue();
        assertThat(redis.command("EXISTS", "ep:books:5")).isEqualTo(0L);
        assertThat(heldInL1(instanceA, "5")).isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> !heldInL1(instanceB, "5"));
        assertThat(books(instanceB).get("5")).isNull();
    }

    @Test
    void deletingTheEndpointDropsOnlyThisInstancesL1() throws Exception {
        putOnA("8", "Neuromancer");
        books(instanceB).get("8");
        assertThat(heldInL1(instanceA, "8")).isTrue();
        assertThat(heldInL1(instanceB, "8")).isTrue();

        assertThat(delete("/multitiercache").statusCode()).isEqualTo(204);

        assertThat(heldInL1(instanceA, "8")).isFalse();
        assertThat(redis.command("EXISTS", "ep:books:8")).isEqualTo(1L);
        Thread.sleep(300);
        assertThat(heldInL1(instanceB, "8")).as("the other instance keeps its L1").isTrue();
        assertThat(json(get("/multitiercache/books/8"), 200).<List<String>>read("$.heldIn")).containsExactly("l2");
    }

    @Test
    void cachesEndpointClearsTheCacheOnEveryInstanceAndInRedis() throws Exception {
        for (int i = 0; i < 20; i++) {
            putOnA("c" + i, "v" + i);
        }
        assertThat(books(instanceB).get("c3").get()).isEqualTo("v3");
        assertThat(heldInL1(instanceB, "c3")).isTrue();
        assertThat(json(get("/caches"), 200).read("$.cacheManagers.cacheManager.caches.books.target", String.class))
                .isEqualTo(TieredCache.class.getName());

        assertThat(delete("/caches/books").statusCode()).isEqualTo(204);

        assertThat(redis.command("SCAN", "0", "MATCH", "ep:books:*", "COUNT", "1000"))
                .isEqualTo(List.of("0", List.of()));
        await().atMost(Duration.ofSeconds(5)).until(() -> !heldInL1(instanceB, "c3"));
        assertThat(books(instanceB).getNativeCache().insight().l1().estimatedSize()).isZero();
        assertThat(books(instanceB).get("c3")).isNull();
    }

    @Test
    void healthEndpointShowsTheContributor() throws Exception {
        DocumentContext json = json(get("/health/multiTierCache"), 200);
        assertThat(json.read("$.status", String.class)).isEqualTo("UP");
        assertThat(json.read("$.details.degraded", Boolean.class)).isFalse();
        assertThat(json.read("$.details.redis.reachable", Boolean.class)).isTrue();
        assertThat(json.read("$.details.circuitBreaker", String.class)).isEqualTo("CLOSED");
        assertThat(json.read("$.details.invalidation.live", Boolean.class)).isTrue();
    }

    /**
     * Puts on A and waits until B has received A's invalidation of the key, so that B's later read
     * fills B's L1 for good.
     */
    private static void putOnA(String key, String value) {
        InvalidationStatistics received = instanceB.getBean(InvalidationBus.class).statistics();
        long before = received.keysReceived();
        books(instanceA).put(key, value);
        await().atMost(Duration.ofSeconds(5)).until(() -> received.keysReceived() > before);
    }

    private static boolean heldInL1(ConfigurableApplicationContext instance, String key) {
        L1Guard guard = instance.getBean(MultiTierCacheManager.class).getContext().l1Guard();
        return books(instance).getNativeCache().insight().l1().remainingNanosByText(key, guard.epoch()) > 0;
    }

    private static MultiTierCache books(ConfigurableApplicationContext instance) {
        return instance.getBean(MultiTierCacheManager.class).getCache("books");
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
    }

    private static HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).DELETE());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static DocumentContext json(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return JsonPath.parse(response.body());
    }

    private static SpringApplicationBuilder application(WebApplicationType type) {
        return new SpringApplicationBuilder(Service.class).web(type).properties(
                "server.port=0", "server.address=127.0.0.1",
                "spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                "management.endpoints.web.exposure.include=caches,multitiercache,health",
                "management.endpoint.health.show-details=always",
                "multi-tier-cache.key-prefix=ep",
                // The tiers that hold a key right after this instance wrote it: tracking's push of each own
                // write drops the L1 copy once (docs/invalidation.md, "Writes from outside").
                "multi-tier-cache.invalidation.tracking.enabled=false",
                "multi-tier-cache.caches.books.l1.maximum-size=500",
                "multi-tier-cache.caches.books.l2.ttl=5m",
                "multi-tier-cache.caches.books.ttl-jitter=0",
                "multi-tier-cache.caches.trending.l1.enabled=false",
                "multi-tier-cache.caches.trending.hot-keys.window=1s",
                "multi-tier-cache.caches.trending.hot-keys.min-reads-per-second=100",
                "multi-tier-cache.redis.command-timeout=2s",
                "multi-tier-cache.invalidation.heartbeat-interval=100ms",
                "multi-tier-cache.invalidation.max-staleness=1s",
                "spring.main.banner-mode=off");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableCaching
    static class Service {
    }
}
