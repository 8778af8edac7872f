package io.github.multitiercache.cdc;

import java.util.Collection;

/**
 * Evicts the entries carrying any of the given tags, in every instance. The change-data-capture
 * consumer routes the tags of its mapping through the one bean of this type when the application
 * defines one (to add to or replace the eviction, e.g. to evict in a second cache manager); by
 * default it calls {@code MultiTierCacheManager.evictTags}.
 */
@FunctionalInterface
public interface CdcTagEvictor {

    /**
     * Evicts every entry tagged with one of the tags. Called once per batch of changes, from the
     * consumer's thread; an exception fails the batch, which is then delivered again.
     * @param tags the tags, never empty
     */
    void evictTags(Collection<String> tags);
}
