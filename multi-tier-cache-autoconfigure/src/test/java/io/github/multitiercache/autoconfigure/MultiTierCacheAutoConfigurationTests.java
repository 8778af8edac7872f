package io.github.multitiercache.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.TieredCacheContext;
import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheCustomizer;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.concurrent.ConcurrentMapCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.cache.RedisCacheManager;
import org.springframework.data.redis.serializer.RedisSerializer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auto-configuration against a real Redis: when it applies and backs off, how properties
 * bind and layer, how bad configuration fails the startup, the customizer and serializer seams,
 * and the layout of keys in Redis.
 */
class MultiTierCacheAutoConfigurationTests {

    @RegisterExtension
    static final RedisFixture redis = RedisFixture.shared();

    private final ApplicationContextRunner contextRunner = redis.contextRunner()
            .withUserConfiguration(CachingConfiguration.class);




    // ---- when it applies ---------------------------------------------------------------------

    @Test
    void createsMultiTierCacheManagerWhenCachingIsEnabled() {
        contextRunner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(CacheManager.class);
            assertThat(context.getBean(CacheManager.class)).isInstanceOf(MultiTierCacheManager.class);
            assertThat(context).hasSingleBean(RedisTier.class);
            assertThat(context).hasSingleBean(TieredCacheContext.class);
        });
    }

    @Test
    void backsOffWhenUserDefinesCacheManager() {
        contextRunner.withUserConfiguration(UserCacheManagerConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(CacheManager.class);
            assertThat(context.getBean(CacheManager.class)).isSameAs(context.getBean("userCacheManager"));
            assertThat(context).doesNotHaveBean(MultiTierCacheManager.class);
            assertThat(context).doesNotHaveBean(RedisTier.class);
            assertThat(context).doesNotHaveBean(TieredCacheContext.class);
        });
    }

    @Test
    void enabledFalseLeavesTheCacheManagerToSpringBoot() {
        contextRunner.withPropertyValues("multi-tier-cache.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(MultiTierCacheManager.class);
            assertThat(context).doesNotHaveBean(RedisTier.class);
            // With a RedisConnectionFactory present, Boot's own cache auto-configuration picks Redis.
            assertThat(context).hasSingleBean(CacheManager.class);
            assertThat(context.getBean(CacheManager.class)).isInstanceOf(RedisCacheManager.class);
        });
    }

    @Test
    void createsNoCacheManagerWithoutEnableCaching() {
        redis.contextRunner()
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(CacheManager.class);
                    assertThat(context).doesNotHaveBean(RedisTier.class);
                });
    }

    // ---- properties --------------------------------------------------------------------------

    @Test
    void perCacheOptionsWinOverDefaultsAndDefaultsOverBuiltIns() {
        contextRunner.withPropertyValues(
                "multi-tier-cache.defaults.l1.ttl=5s",
                "multi-tier-cache.defaults.l2.ttl=20m",
                "multi-tier-cache.defaults.ttl-jitter=0.2",
                "multi-tier-cache.defaults.null-ttl=7s",
                "multi-tier-cache.caches.books.l2.ttl=1h",
                "multi-tier-cache.caches.books.l1.maximum-size=500",
                "multi-tier-cache.caches.books.ttl-jitter=0",
                "multi-tier-cache.caches.books.cache-null-values=false",
                "multi-tier-cache.caches.books.compression-threshold=1KB",
                "multi-tier-cache.caches.books.max-value-size=2MB",
                "multi-tier-cache.caches.authors.l1.enabled=false").run(context -> {
                    assertThat(context).hasNotFailed();
                    CacheSettings builtIn = CacheSettings.defaults();

                    CacheSettings books = settingsOf(context, "books");
                    assertThat(books.l2Ttl()).isEqualTo(Duration.ofHours(1));
                    assertThat(books.l1MaximumSize()).isEqualTo(500);
                    assertThat(books.ttlJitter()).isZero();
                    assertThat(books.cacheNullValues()).isFalse();
                    assertThat(books.compressionThreshold()).isEqualTo(1024);
                    assertThat(books.maxValueSize()).isEqualTo(2 * 1024 * 1024);
                    assertThat(books.l1Ttl()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(books.nullTtl()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(books.l1Enabled()).isTrue();
                    assertThat(books.l2Enabled()).isTrue();

                    CacheSettings authors = settingsOf(context, "authors");
                    assertThat(authors.l1Enabled()).isFalse();
                    assertThat(authors.l2Enabled()).isTrue();
                    assertThat(authors.l1Ttl()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(authors.l2Ttl()).isEqualTo(Duration.ofMinutes(20));
                    assertThat(authors.ttlJitter()).isEqualTo(0.2);
                    assertThat(authors.l1MaximumSize()).isEqualTo(builtIn.l1MaximumSize());
                    assertThat(authors.cacheNullValues()).isEqualTo(builtIn.cacheNullValues());
                    assertThat(authors.compressionThreshold()).isEqualTo(builtIn.compressionThreshold());
                    assertThat(authors.maxValueSize()).isEqualTo(builtIn.maxValueSize());
                });
    }

    @Test
    void configuredCachesExistFromStartup() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.books.l2.ttl=1h",
                "multi-tier-cache.caches.authors.l1.ttl=10s").run(context -> {
                    assertThat(context).hasNotFailed();
                    MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
                    assertThat(manager.getCacheNames()).containsExactlyInAnyOrder("books", "authors");
                    // Created during startup, before anyone asked for them.
                    assertThat(manager.getCaches()).extracting(Cache::getName)
                            .containsExactlyInAnyOrder("books", "authors");
                });
    }

    @Test
    void createsUnknownCacheOnFirstUseWithTheDefaults() {
        contextRunner.withPropertyValues("multi-tier-cache.defaults.l1.ttl=5s",
                "multi-tier-cache.caches.books.l2.ttl=1h").run(context -> {
                    MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
                    assertThat(manager.getCacheNames()).doesNotContain("fresh");

                    MultiTierCache fresh = manager.getCache("fresh");

                    assertThat(fresh).isNotNull();
                    assertThat(fresh.getNativeCache().settings())
                            .isEqualTo(CacheSettings.defaults().toBuilder().l1Ttl(Duration.ofSeconds(5)).build());
                    assertThat(manager.getCacheNames()).contains("fresh");
                    assertThat(manager.getCache("fresh")).isSameAs(fresh);
                });
    }

    @Test
    void dynamicFalseRefusesUnknownCacheNames() {
        contextRunner.withPropertyValues("multi-tier-cache.dynamic=false",
                "multi-tier-cache.caches.books.l2.ttl=1h").run(context -> {
                    CacheManager manager = context.getBean(CacheManager.class);
                    assertThat(manager.getCache("unknown")).isNull();
                    assertThat(manager.getCache("books")).isNotNull();
                    assertThat(manager.getCacheNames()).containsExactly("books");
                });
    }

    // ---- bad configuration -------------------------------------------------------------------

    @Test
    void failsAtStartupOnTtlJitterOutsideZeroToOne() {
        contextRunner.withPropertyValues("multi-tier-cache.defaults.ttl-jitter=1.5").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("ttl-jitter")
                    .hasMessageContaining("1.5");
            assertThat(context.getStartupFailure()).hasStackTraceContaining("multi-tier-cache.defaults");
        });
    }

    @Test
    void failsAtStartupOnZeroL1MaximumSize() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.books.l1.maximum-size=0").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("l1.maximum-size")
                    .hasMessageContaining("0");
            assertThat(context.getStartupFailure()).hasStackTraceContaining("multi-tier-cache.caches.books");
        });
    }

    @Test
    void failsAtStartupWhenBothTiersAreDisabled() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.books.l1.enabled=false",
                "multi-tier-cache.caches.books.l2.enabled=false").run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("l1.enabled")
                            .hasMessageContaining("l2.enabled");
                    assertThat(context.getStartupFailure()).hasStackTraceContaining("'books'");
                });
    }

    @Test
    void failsAtStartupOnNegativeTtl() {
        contextRunner.withPropertyValues("multi-tier-cache.defaults.l2.ttl=-1s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("l2.ttl")
                    .hasMessageContaining("PT-1S");
        });
    }

    @Test
    void failsAtStartupOnNegativeTtlOfOneCache() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.books.l1.ttl=-5s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("l1.ttl");
            assertThat(context.getStartupFailure()).hasStackTraceContaining("multi-tier-cache.caches.books");
        });
    }

    @Test
    void hotKeyOptionsBindPerCacheOverTheDefaults() {
        contextRunner.withPropertyValues(
                "multi-tier-cache.defaults.hot-keys.min-reads-per-second=2000",
                "multi-tier-cache.defaults.hot-keys.replicas=5",
                "multi-tier-cache.caches.books.hot-keys.window=30s",
                "multi-tier-cache.caches.books.hot-keys.max-hot-keys=8",
                "multi-tier-cache.caches.books.hot-keys.sketch-width=1024",
                "multi-tier-cache.caches.books.hot-keys.l1-ttl=0s",
                "multi-tier-cache.caches.authors.hot-keys.enabled=false").run(context -> {
                    assertThat(context).hasNotFailed();
                    HotKeySettings books = settingsOf(context, "books").hotKeys();
                    assertThat(books).isEqualTo(new HotKeySettings(true, Duration.ofSeconds(30), 2000, 8, 1024,
                            Duration.ZERO, 5));
                    assertThat(books.pins()).isFalse();
                    HotKeySettings authors = settingsOf(context, "authors").hotKeys();
                    assertThat(authors.enabled()).isFalse();
                    assertThat(authors.minReadsPerSecond()).isEqualTo(2000);
                    assertThat(settingsOf(context, "other").hotKeys().window())
                            .isEqualTo(HotKeySettings.defaults().window());
                });
    }

    @Test
    void failsAtStartupOnASketchWidthThatIsNotAPowerOfTwo() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.books.hot-keys.sketch-width=1000").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("hot-keys.sketch-width must be a power of two");
            assertThat(context.getStartupFailure()).hasStackTraceContaining("multi-tier-cache.caches.books");
        });
    }

    @Test
    void failsAtStartupOnMisspelledDefaultsOption() {
        contextRunner.withPropertyValues("multi-tier-cache.defaults.l1.tll=5s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("multi-tier-cache.defaults.l1.tll");
        });
    }

    @Test
    void failsAtStartupOnMisspelledPerCacheOption() {
        contextRunner.withPropertyValues("multi-tier-cache.caches.books.l2.time-to-live=1h").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("multi-tier-cache.caches.books.l2.time-to-live");
        });
    }

    // ---- customizers and replaceable beans ---------------------------------------------------

    @Test
    void cacheCustomizerChangesOneCachesSettings() {
        contextRunner.withUserConfiguration(CacheCustomizerConfiguration.class)
                .withPropertyValues("multi-tier-cache.caches.books.l2.ttl=1h",
                        "multi-tier-cache.caches.authors.l2.ttl=1h")
                .run(context -> {
                    assertThat(settingsOf(context, "books").l2Ttl()).isEqualTo(Duration.ofDays(1));
                    assertThat(settingsOf(context, "authors").l2Ttl()).isEqualTo(Duration.ofHours(1));
                    assertThat(settingsOf(context, "dynamic").l2Ttl())
                            .isEqualTo(CacheSettings.defaults().l2Ttl());
                });
    }

    @Test
    void managerCustomizerIsAppliedBeforeStartupCachesAreCreated() {
        contextRunner.withUserConfiguration(ManagerCustomizerConfiguration.class)
                .withPropertyValues("multi-tier-cache.caches.books.l2.ttl=1h")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    List<String> created = context.getBean(ManagerCustomizerConfiguration.class).created;
                    assertThat(created).containsExactly("books");
                    MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
                    assertThat(manager.getCache("unknown")).isNull();
                });
    }

    @Test
    void userBeanNamedMultiTierCacheValueSerializerReplacesTheCodec() {
        contextRunner.withUserConfiguration(CustomSerializerConfiguration.class)
                .withPropertyValues("multi-tier-cache.caches.books.l1.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RedisSerializer<?> userSerializer = context.getBean(
                            MultiTierCacheAutoConfiguration.VALUE_SERIALIZER_BEAN_NAME, RedisSerializer.class);
                    assertThat(userSerializer).isInstanceOf(PrefixingSerializer.class);
                    assertThat(context.getBean(TieredCacheContext.class).serializer()).isSameAs(userSerializer);

                    Cache books = context.getBean(CacheManager.class).getCache("books");
                    books.put("1", "hello");

                    byte[] stored = redis.probe().get("mtc:books:1");
                    assertThat(stored).isNotNull();
                    assertThat(stored[0]).isEqualTo(EntryCodec.MAGIC);
                    String payload = new String(Arrays.copyOfRange(stored, EntryCodec.HEADER_BYTES, stored.length),
                            StandardCharsets.UTF_8);
                    assertThat(payload).isEqualTo("custom:hello");
                    // L1 is off for this cache: the read goes through the user's deserializer.
                    assertThat(books.get("1", String.class)).isEqualTo("read:hello");
                });
    }

    // ---- keys in Redis -----------------------------------------------------------------------

    @Test
    void redisKeyIsPrefixCacheNameAndKey() {
        contextRunner.withPropertyValues("multi-tier-cache.key-prefix=shop",
                "multi-tier-cache.caches.books.l2.ttl=1h",
                "multi-tier-cache.caches.books.ttl-jitter=0.1").run(context -> {
                    Cache books = context.getBean(CacheManager.class).getCache("books");
                    books.put(42L, "The Hobbit");

                    assertThat(redis.probe().keys("*")).containsExactly("shop:books:42");
                    assertThat(books.getNativeCache()).isInstanceOfSatisfying(TieredCache.class,
                            cache -> assertThat(cache.insight().redisKeyOf(42L)).isEqualTo("shop:books:42"));
                    long ttl = redis.probe().pttl("shop:books:42");
                    // 1h spread by ±10 %, never without a TTL
                    assertThat(ttl).isBetween(Duration.ofMinutes(53).toMillis(), Duration.ofMinutes(66).toMillis());
                });
    }

    @Test
    void defaultKeyPrefixIsMtc() {
        contextRunner.run(context -> {
            Cache books = context.getBean(CacheManager.class).getCache("books");
            books.put("isbn-1", "Dune");

            assertThat(redis.probe().keys("*")).containsExactly("mtc:books:isbn-1");
            assertThat(redis.probe().pttl("mtc:books:isbn-1")).isPositive();
        });
    }

    @Test
    void clearingOneCacheLeavesTheKeysOfACacheWhoseNameExtendsItsName() {
        contextRunner.run(context -> {
            CacheManager manager = context.getBean(CacheManager.class);
            Cache users = manager.getCache("users");
            Cache admins = manager.getCache("users:admins");
            users.put("1", "alice");
            admins.put("1", "root");
            // The cache segment percent-encodes ':' so that names cannot collide or match each other.
            assertThat(redis.probe().keys("*")).containsExactlyInAnyOrder("mtc:users:1", "mtc:users%3Aadmins:1");

            users.clear();

            assertThat(redis.probe().keys("*")).containsExactly("mtc:users%3Aadmins:1");
            assertThat(admins.get("1").get()).isEqualTo("root");
        });
    }

    private static CacheSettings settingsOf(AssertableApplicationContext context, String cacheName) {
        MultiTierCache cache = context.getBean(MultiTierCacheManager.class).getCache(cacheName);
        assertThat(cache).as("cache %s", cacheName).isNotNull();
        return cache.getNativeCache().settings();
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingConfiguration {
    }

    @Configuration(proxyBeanMethods = false)
    static class UserCacheManagerConfiguration {

        @Bean
        CacheManager userCacheManager() {
            return new ConcurrentMapCacheManager();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CacheCustomizerConfiguration {

        @Bean
        MultiTierCacheCustomizer longLivedBooks() {
            return (name, settings) -> name.equals("books")
                    ? settings.toBuilder().l2Ttl(Duration.ofDays(1)).build()
                    : settings;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ManagerCustomizerConfiguration {

        final List<String> created = new CopyOnWriteArrayList<>();

        @Bean
        MultiTierCacheManagerCustomizer recordingStrictManager() {
            return manager -> {
                manager.setDynamic(false);
                manager.addCacheCreationListener(cache -> created.add(cache.getName()));
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CustomSerializerConfiguration {

        @Bean(name = MultiTierCacheAutoConfiguration.VALUE_SERIALIZER_BEAN_NAME)
        RedisSerializer<Object> customValueSerializer() {
            return new PrefixingSerializer();
        }
    }

    /** Writes {@code custom:<text>}, reads {@code read:<text>}, so both directions are visible. */
    static final class PrefixingSerializer implements RedisSerializer<Object> {

        @Override
        public byte[] serialize(Object value) {
            return ("custom:" + value).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Object deserialize(byte[] bytes) {
            String text = new String(bytes, StandardCharsets.UTF_8);
            return "read:" + text.substring("custom:".length());
        }
    }
}
