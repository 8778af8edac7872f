package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.List;

import io.github.multitiercache.core.codec.EntryCodec;
import io.github.multitiercache.core.codec.EntryTags;
import io.github.multitiercache.core.codec.StoredEntry;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.serializer.SerializationException;

/**
 * One cache's codec as the engine uses it: a value that cannot be encoded, or bytes in Redis that
 * cannot be decoded (corrupt, of an unknown type, of a newer format), are counted, logged at most
 * once per interval, and handled as "not in Redis" instead of reaching the caller.
 */
final class SafeCodec {

    private final String cacheName;
    private final EntryCodec codec;
    private final CacheStatistics statistics;
    private final LogThrottle warnings;
    private final TagClock tags;

    SafeCodec(String cacheName, EntryCodec codec, CacheStatistics statistics, LogThrottle warnings, TagClock tags) {
        this.tags = tags;
        this.cacheName = cacheName;
        this.codec = codec;
        this.statistics = statistics;
        this.warnings = warnings;
    }

    /** @return the entry's bytes, or {@code null} when it cannot be written to Redis (kept in L1 only) */
    byte @Nullable [] encode(String text, StoredEntry entry) {
        try {
            return codec.encode(entry);
        }
        catch (SerializationException | IllegalArgumentException ex) {
            statistics.codecErrors.increment();
            Object value = entry.value();
            warnings.warn("Cache '" + cacheName + "': value for key '" + text + "' of type "
                    + (value != null ? value.getClass().getName() : "null")
                    + " is kept in L1 only, it cannot be written to Redis: " + ex.getMessage());
            return null;
        }
    }

    /**
     * @return the entry, or {@code null} when the bytes cannot be read, or it carries a tag evicted
     *         after it was written, or whose eviction time is unknown and cannot be fetched (a miss)
     */
    @Nullable StoredEntry decode(String text, byte[] bytes) {
        StoredEntry entry = decodeBytes(text, bytes);
        EntryTags entryTags = (entry != null) ? entry.tags() : null;
        if (entryTags != null && !tags.isValid(entryTags, cacheName)) {
            statistics.tagDrops.increment();
            return null;
        }
        return entry;
    }

    private @Nullable StoredEntry decodeBytes(String text, byte[] bytes) {
        try {
            return codec.decode(bytes);
        }
        catch (SerializationException | IllegalArgumentException ex) {
            statistics.codecErrors.increment();
            warnings.warn("Cache '" + cacheName + "': the value in Redis for key '" + text
                    + "' cannot be read and is treated as a miss: " + ex.getMessage());
            return null;
        }
    }

    /**
     * Decodes the entries of a bulk read: as {@link #decodeNullable} for each, with the tags that
     * none of them made known here fetched from Redis at once (one {@code MGET}), not per entry.
     * @param texts the keys' text forms
     * @param values their bytes, {@code null} for a missing key
     * @return the entries, {@code null} where missing, unreadable or evicted by a tag
     */
    List<@Nullable StoredEntry> decodeAll(List<String> texts, List<byte @Nullable []> values) {
        List<@Nullable StoredEntry> entries = new ArrayList<>(values.size());
        List<EntryTags> tagged = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            byte[] bytes = values.get(i);
            StoredEntry entry = (bytes != null) ? decodeBytes(texts.get(i), bytes) : null;
            entries.add(entry);
            if (entry != null && entry.tags() != null) {
                tagged.add(entry.tags());
            }
        }
        if (tagged.isEmpty()) {
            return entries;
        }
        tags.learnUnknown(tagged, cacheName);
        for (int i = 0; i < entries.size(); i++) {
            StoredEntry entry = entries.get(i);
            EntryTags entryTags = (entry != null) ? entry.tags() : null;
            if (entryTags != null && !tags.isValid(entryTags, cacheName)) {
                statistics.tagDrops.increment();
                entries.set(i, null);
            }
        }
        return entries;
    }

    /** @return the entry of bytes that may be absent */
    @Nullable StoredEntry decodeNullable(String text, byte @Nullable [] bytes) {
        return (bytes != null) ? decode(text, bytes) : null;
    }
}
