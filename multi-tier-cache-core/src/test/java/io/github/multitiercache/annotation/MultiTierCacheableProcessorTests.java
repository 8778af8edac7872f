package io.github.multitiercache.annotation;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.github.multitiercache.annotation.MultiTierCacheable.Toggle;
import io.github.multitiercache.core.CacheSettings;
import org.junit.jupiter.api.Test;
import org.springframework.cache.annotation.CacheConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class MultiTierCacheableProcessorTests {

    private final CacheOptionsRegistry registry = new CacheOptionsRegistry();
    private final MultiTierCacheableProcessor processor = new MultiTierCacheableProcessor(registry);

    static class Catalogue {
        @MultiTierCacheable(cacheNames = "products", l1Ttl = "30s", l2Ttl = "PT10M", cacheNullValues = Toggle.FALSE)
        public String find(long id) {
            return "p" + id;
        }

        @MultiTierCacheable(cacheNames = "products", nullTtl = "5s")
        public String findByName(String name) {
            return name;
        }
    }

    static class Conflicting {
        @MultiTierCacheable(cacheNames = "products", l1Ttl = "1m")
        public String other(long id) {
            return "o";
        }
    }

    @CacheConfig(cacheNames = "users")
    static class Users {
        @MultiTierCacheable(l2Ttl = "1h")
        public String find(long id) {
            return "u";
        }
    }

    static class Trending {
        @MultiTierCacheable(cacheNames = "trending", hotKeysEnabled = Toggle.TRUE, hotKeysWindow = "5s",
                hotKeysMinReadsPerSecond = 50, hotKeysMaxHotKeys = 4, hotKeysL1Ttl = "30s", hotKeysReplicas = 6)
        public String find(long id) {
            return "t";
        }
    }

    @CacheConfig(cacheNames = "products")
    static class BulkCatalogue {
        @CacheableAll(l2Ttl = "10m", stampedeEnabled = Toggle.TRUE)
        public Map<Long, String> findAll(Collection<Long> ids) {
            return Map.of();
        }

        @CacheableAll(cacheNames = "sets")
        public Map<Long, String> findAllOfSet(Set<Long> ids) {
            return Map.of();
        }
    }

    static class BulkReturningATreeMap {
        @CacheableAll("products")
        public TreeMap<Long, String> findAll(List<Long> ids) {
            return new TreeMap<>();
        }
    }

    static class BulkOfTwoCaches {
        @CacheableAll({ "a", "b" })
        public Map<Long, String> findAll(List<Long> ids) {
            return Map.of();
        }
    }

    static class BulkConflictingWithSingle {
        @CacheableAll(cacheNames = "products", l1Ttl = "1m")
        public Map<Long, String> findAll(List<Long> ids) {
            return Map.of();
        }
    }

    static class Broken {
        @MultiTierCacheable(cacheNames = "broken", l1Ttl = "soon")
        public String find(long id) {
            return "b";
        }
    }

    @Test
    void optionsOfEveryMethodOfOneCacheAreCombined() {
        processor.postProcessAfterInitialization(new Catalogue(), "catalogue");
        var options = registry.optionsFor("products");
        assertThat(options.get(CacheSettings.L1_TTL)).isEqualTo(Duration.ofSeconds(30));
        assertThat(options.get(CacheSettings.L2_TTL)).isEqualTo(Duration.ofMinutes(10));
        assertThat(options.get(CacheSettings.NULL_TTL)).isEqualTo(Duration.ofSeconds(5));
        assertThat(options.get(CacheSettings.CACHE_NULL_VALUES)).isFalse();
        assertThat(options.get(CacheSettings.L1_MAXIMUM_SIZE)).isNull();
    }

    @Test
    void conflictingOptionsForOneCacheNameBothMethods() {
        processor.postProcessAfterInitialization(new Catalogue(), "catalogue");
        assertThatIllegalStateException()
                .isThrownBy(() -> processor.postProcessAfterInitialization(new Conflicting(), "conflicting"))
                .withMessageContaining("l1.ttl (PT30S vs PT1M)")
                .withMessageContaining("Catalogue.find(long)")
                .withMessageContaining("Conflicting.other(long)");
    }

    @Test
    void cacheConfigNamesTheCacheOfUnnamedMethods() {
        processor.postProcessAfterInitialization(new Users(), "users");
        assertThat(registry.optionsFor("users").get(CacheSettings.L2_TTL)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void hotKeyOptionsAreReadAndUnsetOnesLeftToTheConfiguration() {
        processor.postProcessAfterInitialization(new Trending(), "trending");
        var options = registry.optionsFor("trending");
        assertThat(options.get(CacheSettings.HOT_KEYS_ENABLED)).isTrue();
        assertThat(options.get(CacheSettings.HOT_KEYS_WINDOW)).isEqualTo(Duration.ofSeconds(5));
        assertThat(options.get(CacheSettings.HOT_KEYS_MIN_READS_PER_SECOND)).isEqualTo(50);
        assertThat(options.get(CacheSettings.HOT_KEYS_MAX_HOT_KEYS)).isEqualTo(4);
        assertThat(options.get(CacheSettings.HOT_KEYS_L1_TTL)).isEqualTo(Duration.ofSeconds(30));
        assertThat(options.get(CacheSettings.HOT_KEYS_REPLICAS)).isEqualTo(6);
        assertThat(options.get(CacheSettings.HOT_KEYS_SKETCH_WIDTH)).isNull();

        processor.postProcessAfterInitialization(new Catalogue(), "catalogue");
        assertThat(registry.optionsFor("products").get(CacheSettings.HOT_KEYS_ENABLED)).isNull();
        assertThat(registry.optionsFor("products").get(CacheSettings.HOT_KEYS_REPLICAS)).isNull();
    }

    @Test
    void cacheableAllRecordsItsTierOptionsForItsCacheLikeMultiTierCacheable() {
        processor.postProcessAfterInitialization(new BulkCatalogue(), "bulk");

        assertThat(registry.optionsFor("products").get(CacheSettings.L2_TTL)).isEqualTo(Duration.ofMinutes(10));
        assertThat(registry.optionsFor("products").get(CacheSettings.STAMPEDE_ENABLED)).isTrue();
        processor.postProcessAfterInitialization(new Catalogue(), "catalogue");
        assertThatIllegalStateException()
                .isThrownBy(() -> processor.postProcessAfterInitialization(new BulkConflictingWithSingle(), "c"))
                .withMessageContaining("l1.ttl").withMessageContaining("BulkConflictingWithSingle.findAll(List)");
    }

    @Test
    void aCacheableAllMethodOfTheWrongShapeFailsNamingIt() {
        assertThatIllegalStateException()
                .isThrownBy(() -> processor.postProcessAfterInitialization(new BulkReturningATreeMap(), "t"))
                .withMessageContaining("BulkReturningATreeMap.findAll(List)").withMessageContaining("returning a Map");
        assertThatIllegalStateException()
                .isThrownBy(() -> processor.postProcessAfterInitialization(new BulkOfTwoCaches(), "two"))
                .withMessageContaining("must name exactly one cache");
    }

    @Test
    void anInvalidDurationNamesTheMethod() {
        assertThatIllegalStateException()
                .isThrownBy(() -> processor.postProcessAfterInitialization(new Broken(), "broken"))
                .withMessageContaining("Broken.find(long)").withMessageContaining("'soon' is not a duration");
    }

    @Test
    void durationsAcceptSimpleAndIsoForms() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Durations.parse("250")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    }
}
