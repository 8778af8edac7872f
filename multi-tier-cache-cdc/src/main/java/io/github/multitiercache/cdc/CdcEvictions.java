package io.github.multitiercache.cdc;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The keys, tags and whole caches a batch of changes evicts, each once. Not thread-safe. */
public final class CdcEvictions {

    private final Map<String, Set<Object>> keys = new LinkedHashMap<>();

    private final Set<String> tags = new LinkedHashSet<>();

    private final Set<String> clears = new LinkedHashSet<>();

    /** Evicts a key of a cache. */
    public void key(String cache, Object key) {
        keys.computeIfAbsent(cache, name -> new LinkedHashSet<>()).add(key);
    }

    /** Evicts a tag. */
    public void tag(String tag) {
        tags.add(tag);
    }

    /** Clears a whole cache. */
    public void clear(String cache) {
        clears.add(cache);
    }

    /** @return the keys, by cache */
    public Map<String, Set<Object>> keys() {
        return keys;
    }

    /** @return the tags */
    public Set<String> tags() {
        return tags;
    }

    /** @return the caches to clear */
    public Set<String> clears() {
        return clears;
    }

    /** @return whether nothing is to be evicted */
    public boolean isEmpty() {
        return keys.isEmpty() && tags.isEmpty() && clears.isEmpty();
    }
}
