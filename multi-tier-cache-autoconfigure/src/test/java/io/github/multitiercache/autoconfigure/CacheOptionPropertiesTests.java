package io.github.multitiercache.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.github.multitiercache.annotation.MultiTierCacheable;
import io.github.multitiercache.core.CacheOption;
import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.core.annotation.AliasFor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * How the {@code multi-tier-cache.defaults.*} and {@code multi-tier-cache.caches.<name>.*}
 * properties map onto the cache options: every option has its property and every property is an
 * option.
 */
class CacheOptionPropertiesTests {

    private static final String CACHE = "multi-tier-cache.caches.products";

    @Test
    void everyOptionIsReadFromThePropertyOfItsName() {
        List<String> offenders = new ArrayList<>();
        for (CacheOption<?> option : CacheSettings.options()) {
            Object value = otherValue(option);
            String text = (value instanceof Enum<?> constant) ? constant.name().toLowerCase(Locale.ROOT)
                    : (value instanceof Duration) ? "7s" : value.toString();
            MultiTierCacheProperties properties = bind(Map.of(CACHE + "." + option.name(), text));
            CacheOptions read = properties.getCaches().get("products").toOptions(CACHE);
            CacheOptions expected = with(option, value);
            if (!read.equals(expected)) {
                offenders.add(option.name() + "=" + text + " reads as " + read + " instead of " + expected);
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void everyCacheOptionPropertyIsAnOption() throws IOException {
        List<String> properties = new ArrayList<>();
        for (String name : metadataPropertyNames()) {
            if (name.startsWith("multi-tier-cache.defaults.")) {
                properties.add(name.substring("multi-tier-cache.defaults.".length()));
            }
        }
        assertThat(properties).containsExactlyInAnyOrderElementsOf(
                CacheSettings.options().stream().map(CacheOption::name).toList());
    }

    @Test
    void aSizeBeyondAnIntIsRefusedNamingItsProperty() {
        MultiTierCacheProperties properties = bind(Map.of(CACHE + ".max-value-size", "3GB"));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> properties.getCaches().get("products").toOptions(CACHE))
                .withMessage(CACHE + ".max-value-size must be between 0 and 2GB but was 3221225472B");
    }

    @Test
    void everyAnnotationOptionIsListedInTheConfigurationReference() throws IOException {
        String reference = Files.readString(Path.of("..", "docs", "configuration.md"), StandardCharsets.UTF_8);
        List<String> missing = new ArrayList<>();
        for (Method method : MultiTierCacheable.class.getDeclaredMethods()) {
            if (!method.isAnnotationPresent(AliasFor.class) && !reference.contains("`" + method.getName() + "`")) {
                missing.add(method.getName());
            }
        }
        assertThat(missing).as("@MultiTierCacheable attributes not named in configuration.md").isEmpty();
    }

    private static MultiTierCacheProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("multi-tier-cache", MultiTierCacheProperties.class);
    }

    private static <T> CacheOptions with(CacheOption<T> option, Object value) {
        return CacheOptions.none().with(option, option.type().cast(value));
    }

    /** A value of the option's type that differs from the built-in default. */
    private static Object otherValue(CacheOption<?> option) {
        Object value = option.get(CacheSettings.defaults());
        if (value instanceof Boolean flag) {
            return !flag;
        }
        if (value instanceof Duration) {
            return Duration.ofSeconds(7);
        }
        if (value instanceof Enum<?> constant) {
            Object[] constants = constant.getDeclaringClass().getEnumConstants();
            return constants[(constant.ordinal() + 1) % constants.length];
        }
        if (value instanceof Long) {
            return 7L;
        }
        if (value instanceof Integer) {
            return 7;
        }
        return 0.7;
    }

    @SuppressWarnings("unchecked")
    private static List<String> metadataPropertyNames() throws IOException {
        for (URL url : Collections.list(CacheOptionPropertiesTests.class.getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                Map<String, Object> json = JsonParserFactory.getJsonParser()
                        .parseMap(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                List<Map<String, Object>> groups = (List<Map<String, Object>>) json.get("groups");
                if (groups.stream().anyMatch(group -> "multi-tier-cache".equals(group.get("name")))) {
                    return ((List<Map<String, Object>>) json.get("properties")).stream()
                            .map(property -> (String) property.get("name")).toList();
                }
            }
        }
        throw new AssertionError("no configuration metadata declares the multi-tier-cache group");
    }
}
