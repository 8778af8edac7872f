package io.github.multitiercache.core;

import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.cache.interceptor.SimpleKey;
import org.springframework.cache.support.NullValue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The read and write paths of {@link TieredCache} against a real Redis.
 */
class TieredCacheTests {

    private static RedisServer redis;
    private static RedisClient client;
    private static StatefulRedisConnection<byte[], byte[]> raw;

    private TestRedis engine;
    private String prefix;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.shared();
        client = RedisClient.create(redis.uri());
        raw = client.connect(ByteArrayCodec.INSTANCE);
    }

    @AfterAll
    static void closeClient() {
        raw.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }

    @BeforeEach
    void createEngine(TestInfo test) {
        prefix = "t" + Math.abs(test.getDisplayName().hashCode());
        engine = TestRedis.standalone(redis.port(), prefix);
    }

    @AfterEach
    void closeEngine() {
        engine.close();
    }

    private static CacheSettings settings() {
        return CacheSettings.defaults();
    }

    private RedisCommands<byte[], byte[]> redisCommands() {
        return raw.sync();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private long pttl(String key) {
        return redisCommands().pttl(bytes(key));
    }

    @Test
    void missLoadsOnceWritesRedisThenL1AndServesL1Next() {
        TieredCache cache = engine.cache("products", settings());
        AtomicInteger calls = new AtomicInteger();

        assertThat(cache.get(42L, () -> "answer-" + calls.incrementAndGet())).isEqualTo("answer-1");
        assertThat(cache.get(42L, () -> "answer-" + calls.incrementAndGet())).isEqualTo("answer-1");

        assertThat(calls).hasValue(1);
        assertThat(redisCommands().exists(bytes(prefix + ":products:42"))).isEqualTo(1);
        assertThat(cache.statistics().l1Hits()).isEqualTo(1);
        assertThat(cache.statistics().loads()).isEqualTo(1);
    }

    @Test
    void anL1EntryDroppedByTheGuardIsNeverServedByALoadingGet() {
        L1Guard guard = new L1Guard(1000);
        engine.withInvalidation(InvalidationPublisher.NONE, guard);
        TieredCache cache = engine.cache("products", settings());
        cache.put("k", "v1");
        redisCommands().del(bytes(prefix + ":products:k"));
        // A gap on the invalidation channel: every L1 entry is distrusted, though Caffeine still holds it.
        guard.invalidateAll();

        assertThat(cache.lookup("k")).isNull();
        assertThat(cache.get("k", () -> "loaded")).isEqualTo("loaded");
    }

    @Test
    void aWriteOfAnotherKeyDuringALoadDoesNotKeepTheLoadedValueOutOfL1() throws Exception {
        TieredCache cache = engine.cache("products", settings());
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> cache.get("loaded", () -> {
            loading.countDown();
            release.await();
            return "value";
        }));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
        cache.put("written", "other");
        cache.evict("evicted");
        release.countDown();
        assertThat(load.get(5, TimeUnit.SECONDS)).isEqualTo("value");

        assertThat(cache.insight().l1().remainingNanos("loaded")).as("filled into L1").isPositive();
    }

    @Test
    void aWriteOfTheSameKeyDuringALoadKeepsTheLoadedValueOutOfL1() throws Exception {
        TieredCache cache = engine.cache("products", settings().toBuilder().l2Enabled(false).build());
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> cache.get("key", () -> {
            loading.countDown();
            release.await();
            return "loaded before the write";
        }));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
        cache.put("key", "written");
        release.countDown();
        load.get(5, TimeUnit.SECONDS);

        assertThat(cache.lookup("key").get()).isEqualTo("written");
    }

    @Test
    void secondInstanceReadsRedisWithoutCallingItsLoader() {
        TieredCache writer = engine.cache("products", settings());
        writer.put("p-1", new Product("p-1", "Lamp", 12));
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix)) {
            TieredCache reader = other.cache("products", settings());
            Object value = reader.get("p-1", () -> {
                throw new AssertionError("loader must not run on a Redis hit");
            });
            assertThat(value).isEqualTo(new Product("p-1", "Lamp", 12));
            assertThat(reader.statistics().l2Hits()).isEqualTo(1);
            assertThat(reader.lookup("p-1")).isInstanceOf(io.github.multitiercache.core.l1.L1Entry.class);
        }
    }

    @Test
    void redisHitFillsL1ForNoLongerThanTheRedisEntryHasLeft() {
        CacheSettings shortRedis = settings().toBuilder().l2Ttl(Duration.ofSeconds(3)).ttlJitter(0).build();
        engine.cache("short", shortRedis).put("k", "v");
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix)) {
            CacheSettings longL1 = settings().toBuilder().l1Ttl(Duration.ofHours(1)).ttlJitter(0).build();
            TieredCache reader = other.cache("short", longL1);
            assertThat(reader.lookup("k")).isNotNull();
            long l1Left = TimeUnit.NANOSECONDS.toMillis(reader.insight().l1().remainingNanos("k"));
            assertThat(l1Left).isPositive().isLessThanOrEqualTo(3_000);
            assertThat(l1Left).isLessThanOrEqualTo(pttl(prefix + ":short:k") + 50);
        }
    }

    @Test
    void everyRedisWriteCarriesAJitteredTtlSpreadUniformly() {
        CacheSettings jittered = settings().toBuilder().l2Ttl(Duration.ofSeconds(100)).ttlJitter(0.1).build();
        TieredCache cache = engine.cache("spread", jittered);
        int count = 400;
        for (int i = 0; i < count; i++) {
            cache.put(i, "v" + i);
        }
        List<Long> ttls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ttls.add(pttl(prefix + ":spread:" + i));
        }
        assertThat(ttls).allSatisfy(ttl -> assertThat(ttl).isBetween(89_000L, 110_000L));
        // Uniform over [90s, 110s]: both ends reached, mean in the middle, each quarter populated.
        assertThat(ttls.stream().mapToLong(Long::longValue).min().getAsLong()).isLessThan(92_000);
        assertThat(ttls.stream().mapToLong(Long::longValue).max().getAsLong()).isGreaterThan(107_000);
        assertThat(ttls.stream().mapToLong(Long::longValue).average().getAsDouble()).isCloseTo(100_000, within(1_500.0));
        for (int quarter = 0; quarter < 4; quarter++) {
            long low = 90_000 + quarter * 5_000L;
            long high = low + 5_000;
            assertThat(ttls.stream().filter(ttl -> ttl >= low - 1_000 && ttl < high).count())
                    .as("TTLs in [%d, %d)", low, high).isGreaterThan(count / 8);
        }
    }

    @Test
    void withoutJitterEveryTtlIsTheConfiguredOne() {
        TieredCache cache = engine.cache("exact", settings().toBuilder().l2Ttl(Duration.ofSeconds(100)).ttlJitter(0).build());
        for (int i = 0; i < 20; i++) {
            cache.put(i, i);
            assertThat(pttl(prefix + ":exact:" + i)).isBetween(99_000L, 100_000L);
        }
    }

    @Test
    void nullResultsAreCachedUnderTheirOwnShorterTtl() {
        CacheSettings nulls = settings().toBuilder().nullTtl(Duration.ofSeconds(5)).ttlJitter(0).build();
        TieredCache cache = engine.cache("nulls", nulls);
        AtomicInteger calls = new AtomicInteger();

        Object first = cache.get("missing", () -> { calls.incrementAndGet(); return null; });
        Object second = cache.get("missing", () -> { calls.incrementAndGet(); return null; });
        assertThat(first).isNull();
        assertThat(second).isNull();

        assertThat(calls).hasValue(1);
        assertThat(pttl(prefix + ":nulls:missing")).isBetween(4_000L, 5_000L);
        ValueWrapper wrapper = cache.lookup("missing");
        assertThat(wrapper).isNotNull();
        assertThat(wrapper.get()).isNull();
    }

    @Test
    void nullResultsAreNotCachedWhenNullCachingIsOff() {
        TieredCache cache = engine.cache("nonulls", settings().toBuilder().cacheNullValues(false).build());
        AtomicInteger calls = new AtomicInteger();
        cache.get("missing", () -> { calls.incrementAndGet(); return null; });
        cache.get("missing", () -> { calls.incrementAndGet(); return null; });
        assertThat(calls).hasValue(2);
        assertThat(redisCommands().exists(bytes(prefix + ":nonulls:missing"))).isZero();
    }

    @Test
    void puttingNullIntoACacheWithoutNullCachingEvictsTheKey() {
        TieredCache cache = engine.cache("nonulls", settings().toBuilder().cacheNullValues(false).build());
        cache.put("k", "v");
        cache.put("k", null);
        assertThat(cache.lookup("k")).isNull();
        assertThat(redisCommands().exists(bytes(prefix + ":nonulls:k"))).isZero();
    }

    @Test
    void corruptBytesInRedisAreALoggedMissAndTheLoadOverwritesThem() {
        TieredCache cache = engine.cache("corrupt", settings());
        redisCommands().set(bytes(prefix + ":corrupt:k"), new byte[] { 1, 2, 3, 4, 5 });

        assertThat(cache.lookup("k")).isNull();
        assertThat(cache.statistics().codecErrors()).isEqualTo(1);
        assertThat(cache.get("k", () -> "fresh")).isEqualTo("fresh");
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix)) {
            assertThat(other.cache("corrupt", settings()).lookup("k").get()).isEqualTo("fresh");
        }
    }

    @Test
    void entriesOfANewerFormatVersionAreAMissNotAnError() {
        TieredCache cache = engine.cache("future", settings());
        cache.put("k", "v");
        byte[] stored = redisCommands().get(bytes(prefix + ":future:k"));
        stored[1] = 99;
        redisCommands().set(bytes(prefix + ":future:k"), stored);
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix)) {
            TieredCache reader = other.cache("future", settings());
            assertThat(reader.lookup("k")).isNull();
            assertThat(reader.statistics().codecErrors()).isEqualTo(1);
        }
    }

    @Test
    void classesOutsideTheAllowListAreNeverInstantiatedFromRedis() {
        TieredCache cache = engine.cache("typed", settings());
        cache.put("k", new Product("p", "x", 1));
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix).withSerializer(JsonValueSerializer.jdkTypesOnly())) {
            TieredCache reader = other.cache("typed", settings());
            assertThat(reader.lookup("k")).isNull();
            assertThat(reader.statistics().codecErrors()).isEqualTo(1);
        }
    }

    @Test
    void keysWithoutStableTextFormAreCachedInL1OnlyAndNeverReachRedis() {
        TieredCache cache = engine.cache("identity", settings());
        Object key = new Object();
        AtomicInteger calls = new AtomicInteger();
        assertThat(cache.get(key, calls::incrementAndGet)).isEqualTo(1);
        assertThat(cache.get(key, calls::incrementAndGet)).isEqualTo(1);
        cache.put(key, "v");
        assertThat(cache.lookup(key)).extracting(ValueWrapper::get).isEqualTo("v");
        assertThat(cache.putIfAbsent(key, "w")).extracting(ValueWrapper::get).isEqualTo("v");
        assertThat(cache.evict(key)).isTrue();
        assertThat(cache.lookup(key)).isNull();
        assertThat(cache.statistics().bypasses()).isZero();
        assertThat(raw.sync().keys(prefix + "*")).isEmpty();
    }

    @Test
    void aPutOfAnyNullValueIsACachedNullSharedThroughRedis() throws Exception {
        TieredCache cache = engine.cache("nulls", settings());
        // A copy, as deserialization makes one: not NullValue.INSTANCE.
        Constructor<NullValue> constructor = NullValue.class.getDeclaredConstructor();
        constructor.setAccessible(true);
        cache.put("copy", constructor.newInstance());
        cache.put("instance", NullValue.INSTANCE);
        for (String key : List.of("copy", "instance")) {
            ValueWrapper local = cache.lookup(key);
            assertThat(local).isNotNull();
            assertThat(local.get()).isNull();
        }
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix)) {
            TieredCache reader = other.cache("nulls", settings());
            for (String key : List.of("copy", "instance")) {
                ValueWrapper shared = reader.lookup(key);
                assertThat(shared).isNotNull();
                assertThat(shared.get()).isNull();
            }
            assertThat(reader.statistics().l2Hits()).isEqualTo(2);
        }
    }

    @Test
    void nullKeysAreAMissNotAnError() {
        TieredCache cache = engine.cache("nullkey", settings());
        assertThat(cache.lookup(null)).isNull();
        cache.put(null, "v");
        assertThat(cache.evict(null)).isFalse();
        assertThat(cache.get(null, () -> "loaded")).isEqualTo("loaded");
    }

    @Test
    void redisKeysAreReadableForCommonKeyTypes() {
        TieredCache cache = engine.cache("keys", settings());
        UUID uuid = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
        cache.put("plain", 1);
        cache.put(7L, 1);
        cache.put(uuid, 1);
        cache.put(new SimpleKey("a", 2), 1);
        cache.put(new Product("p", "n", 3), 1);
        assertThat(redisCommands().keys(prefix + ":keys:*")).extracting(key -> new String(key, StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder(prefix + ":keys:plain", prefix + ":keys:7",
                        prefix + ":keys:123e4567-e89b-12d3-a456-426614174000", prefix + ":keys:a, 2",
                        prefix + ":keys:Product[id=p, name=n, price=3]");
    }

    @Test
    void evictRemovesTheKeyFromBothTiers() {
        TieredCache cache = engine.cache("evict", settings());
        cache.put("k", "v");
        assertThat(cache.evict("k")).isTrue();
        assertThat(cache.lookup("k")).isNull();
        assertThat(redisCommands().exists(bytes(prefix + ":evict:k"))).isZero();
        assertThat(cache.evict("k")).isFalse();
    }

    @Test
    void putIfAbsentKeepsAValueAnotherInstanceStored() {
        TieredCache first = engine.cache("pia", settings());
        assertThat(first.putIfAbsent("k", "first")).isNull();
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix)) {
            ValueWrapper existing = other.cache("pia", settings()).putIfAbsent("k", "second");
            assertThat(existing).isNotNull();
            assertThat(existing.get()).isEqualTo("first");
        }
    }

    @Test
    void clearRemovesOnlyThisCachesKeysAndNeverTouchesOthers() {
        TieredCache products = engine.cache("products", settings());
        TieredCache users = engine.cache("users", settings());
        TieredCache globby = engine.cache("pro*", settings());
        for (int i = 0; i < 2_500; i++) {
            products.put(i, i);
        }
        users.put(1, "u");
        globby.put(1, "g");

        assertThat(products.clear()).isTrue();

        assertThat(redisCommands().keys(prefix + ":products:*")).isEmpty();
        assertThat(products.lookup(1)).isNull();
        assertThat(users.lookup(1).get()).isEqualTo("u");
        assertThat(globby.lookup(1).get()).isEqualTo("g");
        globby.clear();
        assertThat(redisCommands().exists(bytes(prefix + ":users:1"))).isEqualTo(1);
    }

    @Test
    void loaderFailureReachesTheCallerAsValueRetrievalExceptionAndCachesNothing() {
        TieredCache cache = engine.cache("failing", settings());
        assertThatThrownBy(() -> cache.get("k", () -> { throw new IllegalStateException("db down"); }))
                .isInstanceOf(ValueRetrievalException.class)
                .hasRootCauseMessage("db down");
        assertThat(cache.lookup("k")).isNull();
        assertThat(cache.statistics().loadFailures()).isEqualTo(1);
    }

    @Test
    void retrieveReadsRedisWithoutBlockingAndFillsL1() throws Exception {
        engine.cache("async", settings()).put("k", Map.of("a", 1));
        try (TestRedis other = TestRedis.standalone(redis.port(), prefix)) {
            TieredCache reader = other.cache("async", settings());
            CompletableFuture<ValueWrapper> future = reader.retrieve("k");
            assertThat(future).isNotNull();
            assertThat(future.get(2, TimeUnit.SECONDS).get()).isEqualTo(Map.of("a", 1));
            assertThat(reader.insight().l1().remainingNanos("k")).isPositive();
            assertThat(reader.retrieve("absent").get(2, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void retrieveWithLoaderSharesOneLoadBetweenConcurrentCallers() throws Exception {
        // Without L2 the lookup completes at once, so both callers join the same flight.
        TieredCache cache = engine.cache("asyncflight", settings().toBuilder().l2Enabled(false).build());
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<String> slow = new CompletableFuture<>();
        CompletableFuture<String> first = cache.retrieve("k", () -> { calls.incrementAndGet(); return slow; });
        CompletableFuture<String> second = cache.retrieve("k", () -> { calls.incrementAndGet(); return slow; });
        assertThat(first).isNotDone();
        slow.complete("v");
        assertThat(first.get(2, TimeUnit.SECONDS)).isEqualTo("v");
        assertThat(second.get(2, TimeUnit.SECONDS)).isEqualTo("v");
        assertThat(calls).hasValue(1);
        assertThat(cache.lookup("k").get()).isEqualTo("v");
    }

    @Test
    void retrieveWithLoaderStoresTheLoadedValueInRedis() throws Exception {
        TieredCache cache = engine.cache("asyncload", settings());
        assertThat(cache.retrieve("k", () -> CompletableFuture.supplyAsync(() -> "v")).get(2, TimeUnit.SECONDS))
                .isEqualTo("v");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2))
                .until(() -> redisCommands().exists(bytes(prefix + ":asyncload:k")) == 1);
        assertThat(cache.retrieve("k", () -> { throw new AssertionError("cached"); }).get(2, TimeUnit.SECONDS))
                .isEqualTo("v");
    }

    @Test
    void l1OnlyCacheNeverTouchesRedis() {
        TieredCache cache = engine.cache("local", settings().toBuilder().l2Enabled(false).build());
        assertThat(cache.get("k", () -> "v")).isEqualTo("v");
        assertThat(cache.lookup("k").get()).isEqualTo("v");
        assertThat(redisCommands().keys(prefix + ":local:*")).isEmpty();
    }

    @Test
    void l2OnlyCacheReadsRedisEveryTime() {
        TieredCache cache = engine.cache("remote", settings().toBuilder().l1Enabled(false).build());
        cache.put("k", "v");
        redisCommands().del(bytes(prefix + ":remote:k"));
        assertThat(cache.lookup("k")).isNull();
    }

    @Test
    void valuesTooLargeForRedisStayInL1AndReplaceNoStaleCopy() {
        TieredCache cache = engine.cache("big", settings().toBuilder().maxValueSize(1024).compressionThreshold(0).build());
        cache.put("k", "small");
        String large = "x".repeat(4096);
        cache.put("k", large);
        assertThat(cache.lookup("k").get()).isEqualTo(large);
        assertThat(redisCommands().exists(bytes(prefix + ":big:k"))).isZero();
        assertThat(cache.statistics().codecErrors()).isEqualTo(1);
    }

    record Product(String id, String name, int price) {
    }
}
