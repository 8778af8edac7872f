package io.github.multitiercache.annotation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.github.multitiercache.core.CacheOption;
import io.github.multitiercache.core.CacheOptions;

/**
 * Collects the cache options declared by annotations, per cache name, and refuses contradictions.
 */
public final class CacheOptionsRegistry {

    private final Map<String, List<Declaration>> declarations = new ConcurrentHashMap<>();

    /**
     * Records the options a source (a method) declares for a cache.
     * @param cacheName the cache
     * @param options the options
     * @param source what declared them, for error messages ({@code ProductService.find(long)})
     * @throws IllegalStateException when an earlier source set one of these options to another
     *         value, naming both sources and the options
     */
    public void register(String cacheName, CacheOptions options, String source) {
        if (options.isEmpty()) {
            return;
        }
        declarations.compute(cacheName, (name, existing) -> {
            List<Declaration> all = (existing != null) ? new ArrayList<>(existing) : new ArrayList<>();
            for (Declaration declaration : all) {
                List<String> conflicts = declaration.options.conflictsWith(options);
                if (!conflicts.isEmpty()) {
                    throw new IllegalStateException("Conflicting options for cache '" + cacheName + "': "
                            + String.join(", ", conflicts) + " declared by " + declaration.source + " and " + source
                            + "; declare them once, or set them under multi-tier-cache.caches." + cacheName);
                }
            }
            all.add(new Declaration(options, source));
            return List.copyOf(all);
        });
    }

    /**
     * The options declared for a cache.
     * @param cacheName the cache
     * @return the union of the declared options, {@link CacheOptions#none()} when none
     */
    public CacheOptions optionsFor(String cacheName) {
        CacheOptions options = CacheOptions.none();
        for (Declaration declaration : declarations.getOrDefault(cacheName, List.of())) {
            options = options.union(declaration.options);
        }
        return options;
    }

    /**
     * What declared an option of a cache, for error messages.
     * @param cacheName the cache
     * @param option the option
     * @return the sources that set it, in the order they were registered; empty when none
     */
    public List<String> sourcesOf(String cacheName, CacheOption<?> option) {
        return declarations.getOrDefault(cacheName, List.of()).stream()
                .filter(declaration -> declaration.options.get(option) != null)
                .map(Declaration::source)
                .toList();
    }

    /**
     * The names of the caches with declared options.
     * @return the cache names
     */
    public Set<String> cacheNames() {
        return Set.copyOf(declarations.keySet());
    }

    private record Declaration(CacheOptions options, String source) {
    }
}
