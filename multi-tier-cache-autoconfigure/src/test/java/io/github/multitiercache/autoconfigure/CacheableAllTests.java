package io.github.multitiercache.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import io.github.multitiercache.annotation.CacheableAll;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.testsupport.ConcurrentCalls;
import io.github.multitiercache.testsupport.RedisCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code @CacheableAll} in application contexts on real Redis, standalone and a 3-master cluster:
 * per-key entries shared with {@code @Cacheable} both ways and across instances, one call of the
 * method with exactly the missing keys, nulls, order, expressions, Redis down, and concurrent bulk
 * callers on two instances loading each key once.
 */
class CacheableAllTests {

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.shared();

    private final ApplicationContextRunner instanceA = runner("A");
    private final ApplicationContextRunner instanceB = runner("B");

    @Test
    void bulkAndSingleKeyMethodsShareEntriesBothWaysAcrossInstances() {
        instanceA.run(a -> instanceB.run(b -> {
            Catalogue catalogueA = a.getBean(Catalogue.class);
            Catalogue catalogueB = b.getBean(Catalogue.class);
            assertThat(catalogueA.find(1L)).isEqualTo("p1@A");

            assertThat(catalogueB.findAll(List.of(3L, 1L, 2L))).containsExactly(Map.entry(3L, "p3@B"),
                    Map.entry(1L, "p1@A"), Map.entry(2L, "p2@B"));
            assertThat(catalogueB.bulkCalls()).containsExactly(List.of(3L, 2L));

            assertThat(catalogueA.find(2L)).isEqualTo("p2@B");
            assertThat(catalogueA.find(3L)).isEqualTo("p3@B");
            assertThat(catalogueA.singleCalls()).hasValue(1);
            assertThat(redis.probe().exists("mtc:products:3")).isTrue();
        }));
    }

    @Test
    void theMethodGetsExactlyTheMissingKeysAsAnUnmodifiableCollectionOfItsParameterKindOrNotCalledAtAll() {
        instanceA.run(context -> {
            Catalogue catalogue = context.getBean(Catalogue.class);
            catalogue.findAll(List.of(1L, 2L));

            assertThat(catalogue.findAllOfSet(Set.of(2L, 5L))).containsOnlyKeys(2L, 5L);
            assertThat(catalogue.findAll(List.of(1L, 2L, 5L))).containsOnlyKeys(1L, 2L, 5L);

            assertThat(catalogue.bulkCalls()).containsExactly(List.of(1L, 2L), Set.of(5L));
            assertThat(catalogue.bulkCalls().get(0)).isInstanceOf(List.class);
            assertThat(catalogue.bulkCalls().get(1)).isInstanceOf(Set.class);
            assertThatThrownBy(() -> catalogue.bulkCalls().get(0).clear()).isInstanceOf(UnsupportedOperationException.class);
        });
    }

    @Test
    void keysTheMethodLeavesOutAreCachedAsNullsAndTheResultFollowsTheRequestOrder() {
        instanceA.run(context -> {
            Catalogue catalogue = context.getBean(Catalogue.class);

            assertThat(catalogue.findAll(List.of(404L, 7L, 3L, 7L))).containsExactly(Map.entry(7L, "p7@A"),
                    Map.entry(3L, "p3@A"));
            assertThat(catalogue.findAll(List.of(3L, 404L, 7L))).containsExactly(Map.entry(3L, "p3@A"),
                    Map.entry(7L, "p7@A"));

            assertThat(catalogue.bulkCalls()).containsExactly(List.of(404L, 7L, 3L));
            assertThat(redis.probe().exists("mtc:products:404")).isTrue();
            assertThat(catalogue.find(404L)).isNull();
            assertThat(catalogue.singleCalls()).hasValue(0);
        });
    }

    @Test
    void keyConditionAndUnlessAreEvaluatedPerElementAsTheSingleKeyMethodWould() {
        instanceA.run(context -> {
            Catalogue catalogue = context.getBean(Catalogue.class);
            assertThat(catalogue.findCode("a")).isEqualTo("code-a");

            assertThat(catalogue.findCodes(List.of("a", "b", "skip", "temp"))).containsExactly(
                    Map.entry("a", "code-a"), Map.entry("b", "code-b"), Map.entry("skip", "code-skip"),
                    Map.entry("temp", "code-temp"));
            assertThat(catalogue.findCodes(List.of("a", "b", "skip", "temp"))).hasSize(4);

            // 'skip' fails the condition and 'temp' is vetoed by unless: both are passed again.
            assertThat(catalogue.bulkCalls()).containsExactly(List.of("b", "temp", "skip"), List.of("temp", "skip"));
            assertThat(redis.probe().exists("mtc:codes:c-b")).isTrue();
            assertThat(redis.probe().exists("mtc:codes:c-temp")).isFalse();
            assertThat(redis.probe().exists("mtc:codes:c-skip")).isFalse();
            assertThat(catalogue.findCode("b")).isEqualTo("code-b");
            assertThat(catalogue.singleCalls()).hasValue(1);
        });
    }

    @Test
    void anExceptionOfTheMethodReachesTheCallerUnchanged() {
        instanceA.run(context -> {
            Catalogue catalogue = context.getBean(Catalogue.class);
            assertThatThrownBy(() -> catalogue.findAllOrFail(List.of(1L))).isInstanceOf(IOException.class)
                    .hasMessage("database down");
        });
    }

    @Test
    void theCacheApiReadsAndLoadsManyKeys() {
        instanceA.run(context -> {
            MultiTierCache cache = (MultiTierCache) context.getBean(CacheManager.class).getCache("products");
            List<Set<Long>> calls = new ArrayList<>();
            cache.put(1L, "one");

            Map<Long, String> values = cache.getAll(List.of(2L, 1L), missing -> {
                calls.add(missing);
                return Map.of(2L, "two");
            });

            assertThat(values).containsExactly(Map.entry(2L, "two"), Map.entry(1L, "one"));
            assertThat(calls).containsExactly(Set.of(2L));
            assertThat(cache.getAll(List.of(3L, 2L))).containsExactly(Map.entry(2L, "two"));
        });
    }

    @Test
    void withRedisDownTheKeysAreServedFromL1AndTheMethodWithoutAnException() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        instanceA.withPropertyValues("spring.data.redis.port=" + closedPort).run(context -> {
            Catalogue catalogue = context.getBean(Catalogue.class);

            assertThat(catalogue.findAll(List.of(1L, 2L))).containsOnlyKeys(1L, 2L);
            assertThat(catalogue.findAll(List.of(1L, 2L, 3L))).containsOnlyKeys(1L, 2L, 3L);

            assertThat(catalogue.bulkCalls()).containsExactly(List.of(1L, 2L), List.of(3L));
        });
    }

    @Test
    void aMethodThatDoesNotTakeOneCollectionOfKeysFailsTheStartup() {
        redis.contextRunner().withUserConfiguration(BadConfiguration.class).run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("@CacheableAll on")
                        .hasMessageContaining("needs exactly one parameter"));
    }

    @Test
    void fiftyConcurrentBulkCallersOnEachOfTwoInstancesLoadEachKeyOnce() {
        instanceA.run(a -> instanceB.run(b -> assertEachKeyLoadedOnce(a.getBean(Catalogue.class),
                b.getBean(Catalogue.class))));
    }

    @Test
    void onAClusterBulkAndSingleKeyMethodsShareEntriesAndConcurrentCallersLoadEachKeyOnce() {
        RedisCluster cluster = RedisCluster.shared();
        String[] onCluster = { "spring.data.redis.cluster.nodes=" + String.join(",", cluster.nodeAddresses()),
                "multi-tier-cache.key-prefix=ca" + System.nanoTime(),
                // 100 callers sending a command per slot share two cores with three Redis nodes here:
                // with the default 250ms a batch can time out, and its keys are then loaded without the
                // lease, as Redis trouble is meant to be handled.
                "multi-tier-cache.redis.command-timeout=2s" };
        instanceA.withPropertyValues(onCluster).run(a -> instanceB.withPropertyValues(onCluster).run(b -> {
            Catalogue catalogueA = a.getBean(Catalogue.class);
            Catalogue catalogueB = b.getBean(Catalogue.class);
            assertThat(catalogueA.find(1L)).isEqualTo("p1@A");
            assertThat(catalogueB.findAll(List.of(1L, 2L))).containsExactly(Map.entry(1L, "p1@A"),
                    Map.entry(2L, "p2@B"));
            assertThat(catalogueA.find(2L)).isEqualTo("p2@B");
            assertThat(catalogueB.bulkCalls()).containsExactly(List.of(2L));
            assertThat(catalogueA.singleCalls()).hasValue(1);

            assertEachKeyLoadedOnce(catalogueA, catalogueB);
        }));
    }

    /** 50 callers per instance, each asking for 30 ids out of 1000..1199 overlapping the others'. */
    private static void assertEachKeyLoadedOnce(Catalogue a, Catalogue b) throws Exception {
        Map<Long, AtomicInteger> loads = new ConcurrentHashMap<>();
        a.countLoadsIn(loads);
        b.countLoadsIn(loads);
        List<Object> sizes = ConcurrentCalls.run(100, i -> {
            List<Long> ids = IntStream.range(0, 30).mapToObj(n -> 1000L + (i * 13 + n * 7) % 200).toList();
            Map<Long, String> values = ((i % 2 == 0) ? a : b).findAll(ids);
            assertThat(values.keySet()).containsExactlyElementsOf(ids.stream().distinct().toList());
            return values.size();
        });
        assertThat(sizes).doesNotContainNull();
        assertThat(loads).isNotEmpty();
        assertThat(loads.values()).allSatisfy(count -> assertThat(count).hasValue(1));
    }

    private static ApplicationContextRunner runner(String instance) {
        return redis.contextRunner().withPropertyValues("instance=" + instance)
                .withUserConfiguration(CatalogueConfiguration.class);
    }

    static class Catalogue {

        final String instance;
        final List<Collection<?>> bulkCalls = new CopyOnWriteArrayList<>();
        final AtomicInteger singleCalls = new AtomicInteger();
        volatile Map<Long, AtomicInteger> loads = new ConcurrentHashMap<>();

        Catalogue(String instance) {
            this.instance = instance;
        }

        // Read through methods: the fields of the caching proxy are not the bean's.
        public List<Collection<?>> bulkCalls() {
            return bulkCalls;
        }

        public AtomicInteger singleCalls() {
            return singleCalls;
        }

        public void countLoadsIn(Map<Long, AtomicInteger> loads) {
            this.loads = loads;
        }

        @Cacheable("products")
        public String find(Long id) {
            singleCalls.incrementAndGet();
            return (id == 404L) ? null : "p" + id + "@" + instance;
        }

        @CacheableAll("products")
        public Map<Long, String> findAll(Collection<Long> ids) throws InterruptedException {
            if (ids.size() < 50) {
                bulkCalls.add(ids);
            }
            ids.forEach(id -> loads.computeIfAbsent(id, any -> new AtomicInteger()).incrementAndGet());
            if (ids.stream().anyMatch(id -> id >= 1000)) {
                Thread.sleep(50);
            }
            Map<Long, String> found = new LinkedHashMap<>();
            ids.stream().filter(id -> id != 404L).forEach(id -> found.put(id, "p" + id + "@" + instance));
            return found;
        }

        @CacheableAll(cacheNames = "products")
        public Map<Long, String> findAllOfSet(Set<Long> ids) throws InterruptedException {
            return findAll(ids);
        }

        @CacheableAll("failing")
        public Map<Long, String> findAllOrFail(List<Long> ids) throws IOException {
            throw new IOException("database down");
        }

        @Cacheable(cacheNames = "codes", key = "'c-' + #code")
        public String findCode(String code) {
            singleCalls.incrementAndGet();
            return "code-" + code;
        }

        @CacheableAll(cacheNames = "codes", key = "'c-' + #key", condition = "#key != 'skip'",
                unless = "#result == 'code-temp'")
        public Map<String, String> findCodes(List<String> codes) {
            bulkCalls.add(codes);
            Map<String, String> found = new LinkedHashMap<>();
            codes.forEach(code -> found.put(code, "code-" + code));
            return found;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CatalogueConfiguration {

        @Bean
        Catalogue catalogue(@Value("${instance}") String instance) {
            return new Catalogue(instance);
        }
    }

    static class BadBulk {

        @CacheableAll("products")
        public Map<Long, String> findAll(Long first, Long second) {
            return Map.of();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class BadConfiguration {

        @Bean
        BadBulk badBulk() {
            return new BadBulk();
        }
    }
}
