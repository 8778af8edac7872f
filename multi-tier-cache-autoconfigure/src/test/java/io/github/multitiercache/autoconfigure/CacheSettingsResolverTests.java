package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.Map;

import io.github.multitiercache.annotation.CacheOptionsRegistry;
import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The layering of {@link CacheSettingsResolver} and the errors it gives for invalid results. */
class CacheSettingsResolverTests {

    private final CacheOptionsRegistry annotations = new CacheOptionsRegistry();

    @Test
    void eachOptionTakesTheValueOfTheMostSpecificLayer() {
        annotations.register("books", CacheOptions.none().with(CacheSettings.L1_TTL, Duration.ofSeconds(20))
                .with(CacheSettings.L2_TTL, Duration.ofMinutes(2)), "Books.find(long)");
        CacheSettings settings = resolver(Map.of("multi-tier-cache.defaults.l1.ttl", "10s",
                "multi-tier-cache.defaults.null-ttl", "3s",
                "multi-tier-cache.caches.books.l2.ttl", "1h")).apply("books");
        assertThat(settings.l1Ttl()).as("annotation over defaults").isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.l2Ttl()).as("cache over annotation").isEqualTo(Duration.ofHours(1));
        assertThat(settings.nullTtl()).as("defaults over built-in").isEqualTo(Duration.ofSeconds(3));
        assertThat(settings.ttlJitter()).as("built-in").isEqualTo(CacheSettings.defaults().ttlJitter());
    }

    @Test
    void anInvalidValueOfOneCacheNamesItsProperty() {
        CacheSettingsResolver resolver = resolver(Map.of("multi-tier-cache.caches.books.l1.ttl", "-5s"));
        assertThatIllegalArgumentException().isThrownBy(() -> resolver.apply("books"))
                .withMessage("l1.ttl must be at least 1ms but was PT-5S (from multi-tier-cache.caches.books.l1.ttl)");
    }

    @Test
    void anInvalidValueFromAnAnnotationNamesTheMethods() {
        annotations.register("rates", CacheOptions.none().with(CacheSettings.TTL_JITTER, 1.5), "Rates.find(String)");
        annotations.register("rates", CacheOptions.none().with(CacheSettings.TTL_JITTER, 1.5), "Rates.all()");
        CacheSettingsResolver resolver = resolver(Map.of());
        assertThatIllegalArgumentException().isThrownBy(() -> resolver.apply("rates"))
                .withMessage("ttl-jitter must be in [0, 1) but was 1.5 (from ttl-jitter of @MultiTierCacheable on"
                        + " Rates.find(String) and Rates.all())");
    }

    @Test
    void aContradictionBetweenLayersNamesEachOfTheOptions() {
        CacheSettingsResolver resolver = resolver(Map.of("multi-tier-cache.defaults.fail-safe.soft-timeout", "5s",
                "multi-tier-cache.caches.books.fail-safe.hard-timeout", "1s"));
        assertThatIllegalArgumentException().isThrownBy(() -> resolver.apply("books"))
                .withMessageEndingWith("(from multi-tier-cache.defaults.fail-safe.soft-timeout,"
                        + " multi-tier-cache.caches.books.fail-safe.hard-timeout)");
        CacheSettingsResolver oneTier = resolver(Map.of("multi-tier-cache.caches.books.l1.enabled", "false",
                "multi-tier-cache.defaults.l2.enabled", "false"));
        assertThatIllegalArgumentException().isThrownBy(() -> oneTier.apply("books"))
                .withMessage("at least one of l1.enabled and l2.enabled must be true (from"
                        + " multi-tier-cache.caches.books.l1.enabled, multi-tier-cache.defaults.l2.enabled)");
    }

    @Test
    void anInvalidDefaultFailsWhenTheResolverIsMade() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> resolver(Map.of("multi-tier-cache.defaults.ttl-jitter", "1.5")))
                .withMessage("Invalid multi-tier-cache.defaults: ttl-jitter must be in [0, 1) but was 1.5");
    }

    private CacheSettingsResolver resolver(Map<String, String> properties) {
        MultiTierCacheProperties bound = new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("multi-tier-cache", MultiTierCacheProperties.class);
        return new CacheSettingsResolver(bound, annotations);
    }
}
