package io.github.multitiercache.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

import io.github.multitiercache.annotation.CacheOptionsRegistry;
import io.github.multitiercache.core.CacheOption;
import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;

/**
 * Gives each cache its settings from four layers, later winning: built-in defaults,
 * {@code multi-tier-cache.defaults}, the cache's {@code @MultiTierCacheable} options, and
 * {@code multi-tier-cache.caches.<name>}.
 *
 * <p>When the result is invalid, the error says where each option it names was set: the property
 * ({@code multi-tier-cache.caches.books.l1.ttl}), the annotated methods, or the built-in default.
 */
final class CacheSettingsResolver implements Function<String, CacheSettings> {

    private static final String DEFAULTS = "multi-tier-cache.defaults";

    private final MultiTierCacheProperties properties;
    private final CacheOptionsRegistry annotations;
    private final CacheOptions configuredDefaults;
    private final CacheSettings defaults;

    /**
     * @throws IllegalArgumentException when {@code multi-tier-cache.defaults} is invalid
     */
    CacheSettingsResolver(MultiTierCacheProperties properties, CacheOptionsRegistry annotations) {
        this.properties = properties;
        this.annotations = annotations;
        try {
            this.configuredDefaults = properties.getDefaults().toOptions(DEFAULTS);
            this.defaults = CacheSettings.defaults().toBuilder().apply(configuredDefaults).build();
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("Invalid " + DEFAULTS + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public CacheSettings apply(String cacheName) {
        MultiTierCacheProperties.CacheSpec spec = properties.getCaches().get(cacheName);
        String path = "multi-tier-cache.caches." + cacheName;
        CacheOptions configured = (spec != null) ? spec.toOptions(path) : CacheOptions.none();
        CacheOptions annotated = annotations.optionsFor(cacheName);
        try {
            return defaults.toBuilder().apply(annotated).apply(configured).build();
        }
        catch (IllegalArgumentException ex) {
            String message = Objects.requireNonNullElse(ex.getMessage(), "invalid settings");
            List<String> origins = new ArrayList<>();
            for (CacheOption<?> option : CacheSettings.options()) {
                if (names(message, option)) {
                    origins.add(origin(option, cacheName, path, annotated, configured));
                }
            }
            String where = origins.isEmpty()
                    ? "check " + path + " and @MultiTierCacheable on methods of this cache"
                    : "from " + String.join(", ", origins);
            throw new IllegalArgumentException(message + " (" + where + ")", ex);
        }
    }

    /** The layer that gave an option its value, as a property path or the annotated methods. */
    private String origin(CacheOption<?> option, String cacheName, String path, CacheOptions annotated,
            CacheOptions configured) {
        if (configured.get(option) != null) {
            return path + "." + option.name();
        }
        if (annotated.get(option) != null) {
            return option.name() + " of @MultiTierCacheable on "
                    + String.join(" and ", annotations.sourcesOf(cacheName, option));
        }
        if (configuredDefaults.get(option) != null) {
            return DEFAULTS + "." + option.name();
        }
        return "the built-in default of " + option.name();
    }

    /** Whether a message names the option as a whole word: not {@code enabled} in {@code l1.enabled}. */
    private static boolean names(String message, CacheOption<?> option) {
        return Pattern.compile("(?<![\\w.-])" + Pattern.quote(option.name()) + "(?![\\w-]|\\.\\w)").matcher(message)
                .find();
    }
}
