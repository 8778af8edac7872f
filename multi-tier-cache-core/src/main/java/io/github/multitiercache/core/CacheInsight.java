package io.github.multitiercache.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.github.multitiercache.core.hotkey.HotKeyStatistics;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.core.codec.EntryTags;
import io.github.multitiercache.core.l1.L1Entry;
import org.jspecify.annotations.Nullable;

/**
 * What one cache shows of where its values live, for operations: its L1 tier, its hot keys and
 * their replicas, and the Redis key of any key. The endpoint and the meters read it; the read and
 * write paths never do. Obtained from {@link TieredCache#insight()}.
 */
public final class CacheInsight {

    private final NearTier near;
    private final HotKeys hotKeys;
    private final KeySpace keys;
    private final CacheKeyConverter keyConverter;

    CacheInsight(NearTier near, HotKeys hotKeys, KeySpace keys, CacheKeyConverter keyConverter) {
        this.near = near;
        this.hotKeys = hotKeys;
        this.keys = keys;
        this.keyConverter = keyConverter;
    }

    /**
     * The L1 tier: with L1 disabled but hot keys pinned, a small L1 that holds hot keys only.
     * @return the L1 tier, or {@code null} when this cache keeps nothing in L1
     */
    public @Nullable L1Tier l1() {
        return near.tier();
    }

    /**
     * The keys hot in this instance, found here or announced by other instances, hottest first,
     * after running a review that is due.
     * @return a snapshot, empty when hot-key handling is off
     */
    public List<HotKeyStatus> hotKeys() {
        hotKeys.reviewIfDue();
        return hotKeys.snapshot();
    }

    /**
     * The number of keys {@link #hotKeys()} lists with the given {@link HotKeyStatus#local()}, without
     * building that list: as of the last review, which runs now if one is due. A key no longer read
     * may still be counted as hot here for up to one review interval ({@code hot-keys.window} / 10,
     * between 100 ms and 1 s) after {@code hotKeys()} stopped listing it.
     * @param local {@code true} for the keys found hot here, {@code false} for those hot here only
     *        because another instance announced them
     * @return the count, 0 when hot-key handling is off
     */
    public int hotKeyCount(boolean local) {
        hotKeys.reviewIfDue();
        return hotKeys.count(local);
    }

    /**
     * The running counts of hot-key handling.
     * @return the counts, or {@code null} when hot-key handling is off
     */
    public @Nullable HotKeyStatistics hotKeyStatistics() {
        return hotKeys.enabled() ? hotKeys.statistics() : null;
    }

    /**
     * The number of replicas each hot key of this cache has in Redis.
     * @return 0 when hot keys are not replicated (standalone Redis, {@code hot-keys.replicas = 0})
     */
    public int hotKeyReplicas() {
        return hotKeys.replicas().count();
    }

    /**
     * The Redis keys of a key's replicas, whether or not the key is hot.
     * @param key the cache key
     * @return the replica keys, empty when hot keys are not replicated
     * @throws IllegalArgumentException when the key has no stable text form
     */
    public List<String> replicaKeysOf(Object key) {
        HotKeyReplicas replicas = hotKeys.replicas();
        if (replicas.count() == 0) {
            return List.of();
        }
        String text = keyConverter.convert(key);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < replicas.count(); i++) {
            names.add(new String(replicas.key(i, text), StandardCharsets.UTF_8));
        }
        return names;
    }

    /**
     * The Redis key of a cache key: {@code prefix:cache:text}.
     * @param key the cache key
     * @return the Redis key
     * @throws IllegalArgumentException when the key has no stable text form
     */
    public String redisKeyOf(Object key) {
        return redisKeyText(key);
    }

    /**
     * The tags of a key's copy in this instance's L1.
     * @param keyText the key's text form
     * @return its tags, empty when it carries none or L1 holds no copy
     */
    public List<String> tagsInL1(String keyText) {
        L1Tier tier = near.tier();
        L1Entry entry = (tier != null) ? tier.peekByText(keyText) : null;
        EntryTags tags = (entry != null) ? entry.tags() : null;
        return (tags != null) ? tags.tags() : List.of();
    }

    private String redisKeyText(Object key) {
        return keys.keyOf(key).redisKeyText();
    }
}
