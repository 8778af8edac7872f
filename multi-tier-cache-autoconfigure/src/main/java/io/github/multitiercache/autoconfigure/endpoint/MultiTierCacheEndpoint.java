package io.github.multitiercache.autoconfigure.endpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TagClock;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.Selector.Match;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The {@code multitiercache} endpoint, a companion to Spring Boot's {@code caches} endpoint (which
 * lists multi-tier caches and clears them on every instance and in Redis):
 * <ul>
 * <li>{@code GET /actuator/multitiercache}: every multi-tier cache with its effective settings and
 * statistics per tier, the Redis tier and the invalidation channel;</li>
 * <li>{@code GET /actuator/multitiercache/{cache}}: one cache, with its hot keys and their estimated
 * read rates;</li>
 * <li>{@code GET /actuator/multitiercache/{cache}/{key}}: which tiers hold a key and its remaining
 * time to live in each;</li>
 * <li>{@code DELETE /actuator/multitiercache/{cache}/{key}}: evicts a key from both tiers and from
 * the L1 of every instance;</li>
 * <li>{@code DELETE /actuator/multitiercache}: drops this instance's L1 of every cache, leaving
 * Redis and the other instances alone.</li>
 * </ul>
 * A key is given in its text form, as it appears in the Redis key ({@code prefix:cache:key}); it may
 * contain {@code /}. Every operation takes an optional {@code cacheManager} parameter, needed only
 * when several multi-tier cache managers have a cache of the same name. Reading never creates a
 * cache.
 *
 * <p>The responses are the records nested here ({@link MultiTierCachesDescriptor},
 * {@link CacheDescriptor}, {@link KeyDescriptor}, {@link KeyEvictionDescriptor} and the records they
 * hold), made of plain values only, never of engine types, so that the JSON is a documented shape
 * ({@code docs/endpoints.md}) that changes only when these records do. Their component names are the
 * JSON field names; a {@code null} component is left out of the JSON.
 */
@Endpoint(id = MultiTierCacheEndpoint.ID)
public class MultiTierCacheEndpoint {

    /** The endpoint id. */
    public static final String ID = "multitiercache";

    private final Map<String, MultiTierCacheManager> cacheManagers;

    private final Descriptions descriptions;

    /**
     * Creates the endpoint.
     * @param cacheManagers the multi-tier cache managers by bean name
     * @param redis the Redis tier, if any
     * @param invalidationBus the invalidation bus, absent when invalidation is disabled
     * @param l1Guard the guard deciding whether L1 entries are served, if any
     * @param connectionFactory used to read a key's remaining time to live in Redis
     */
    public MultiTierCacheEndpoint(Map<String, MultiTierCacheManager> cacheManagers, @Nullable RedisTier redis,
            @Nullable InvalidationBus invalidationBus, @Nullable L1Guard l1Guard,
            @Nullable RedisConnectionFactory connectionFactory) {
        this.cacheManagers = Map.copyOf(cacheManagers);
        this.descriptions = new Descriptions(redis, invalidationBus, l1Guard, connectionFactory);
        cacheManagers.values().forEach(manager -> manager.addCacheCreationListener(cache -> {
            if (TAGS.equals(cache.getName())) {
                logger.warn("A multi-tier cache is named '" + TAGS + "': the endpoint's key operations cannot reach it,"
                        + " since /" + TAGS + "/{tag} evicts and shows tags; rename the cache to inspect its keys");
            }
        }));
    }

    /** The first path segment that names the tag operations instead of a cache. */
    static final String TAGS = "tags";

    private static final org.apache.commons.logging.Log logger =
            org.apache.commons.logging.LogFactory.getLog(MultiTierCacheEndpoint.class);

    /**
     * Describes every multi-tier cache, the Redis tier and the invalidation channel.
     * @return the description
     */
    @ReadOperation
    public MultiTierCachesDescriptor caches() {
        Map<String, CacheManagerDescriptor> managers = new LinkedHashMap<>();
        cacheManagers.forEach((managerName, manager) -> {
            Map<String, CacheDescriptor> caches = new LinkedHashMap<>();
            manager.getCaches().stream()
                    .sorted((a, b) -> a.getName().compareTo(b.getName()))
                    .forEach(cache -> caches.put(cache.getName(),
                            descriptions.cache(managerName, cache.getNativeCache())));
            managers.put(managerName, new CacheManagerDescriptor(caches, tags(manager.getContext().tags())));
        });
        return new MultiTierCachesDescriptor(descriptions.redis(), descriptions.invalidation(), managers);
    }

    /**
     * Describes one cache.
     * @param cache the cache name
     * @param cacheManager the manager's bean name, needed only when the name is not unique
     * @return the description, or {@code null} (404) when there is no such cache
     */
    @ReadOperation
    public @Nullable CacheDescriptor cache(@Selector String cache, @Nullable String cacheManager) {
        Target target = find(cache, cacheManager);
        return (target != null) ? descriptions.cache(target.managerName(), target.cache()) : null;
    }

    /**
     * Tells which tiers hold a key and for how long.
     * @param cache the cache name
     * @param key the key's text form, in path segments
     * @param cacheManager the manager's bean name, needed only when the cache name is not unique
     * @return the description, or {@code null} (404) when there is no such cache
     */
    @ReadOperation
    public @Nullable Object key(@Selector String cache, @Selector(match = Match.ALL_REMAINING) String[] key,
            @Nullable String cacheManager) {
        if (TAGS.equals(cache)) {
            return tag(keyText(key), cacheManager);
        }
        Target target = find(cache, cacheManager);
        if (target == null) {
            return null;
        }
        String keyText = keyText(key);
        TieredCache engine = target.cache();
        String redisKey = engine.insight().redisKeyOf(keyText);
        KeyTierDescriptor l1 = descriptions.l1(engine, keyText);
        KeyTierDescriptor l2 = descriptions.l2(engine, redisKey);
        List<String> heldIn = new ArrayList<>(2);
        if (Boolean.TRUE.equals(l1.present())) {
            heldIn.add("l1");
        }
        if (Boolean.TRUE.equals(l2.present())) {
            heldIn.add("l2");
        }
        return new KeyDescriptor(engine.name(), target.managerName(), keyText, redisKey, heldIn, l1, l2,
                descriptions.isHot(engine, keyText), engine.insight().tagsInL1(keyText));
    }

    /**
     * Evicts a key from both tiers and tells every other instance to drop its L1 copy; on the path
     * {@code tags/{tag}}, evicts a tag.
     * @param cache the cache name
     * @param key the key's text form, in path segments
     * @param cacheManager the manager's bean name, needed only when the cache name is not unique
     * @param cacheNames for a tag only: the caches its eviction is limited to (comma-separated), all
     *        when absent
     * @return what was evicted
     * @throws InvalidEndpointRequestException (400) when there is no such cache
     */
    @DeleteOperation
    public OperationResponseBody evict(@Selector String cache, @Selector(match = Match.ALL_REMAINING) String[] key,
            @Nullable String cacheManager, @Nullable String cacheNames) {
        if (TAGS.equals(cache)) {
            return evictTag(keyText(key), cacheManager, names(cacheNames));
        }
        if (cacheNames != null) {
            throw new InvalidEndpointRequestException("cacheNames applies to a tag eviction only", "Invalid parameter");
        }
        Target target = find(cache, cacheManager);
        if (target == null) {
            throw new InvalidEndpointRequestException("No multi-tier cache named '" + cache + "'",
                    "No such cache");
        }
        String keyText = keyText(key);
        boolean present = target.cache().evict(keyText);
        return new KeyEvictionDescriptor(target.cache().name(), target.managerName(), keyText, present);
    }

    /**
     * Drops the L1 of every cache in this instance only; Redis and the other instances keep their
     * copies, and this instance reads them from Redis again.
     * @param cacheManager the manager's bean name, or {@code null} for every multi-tier manager
     */
    @DeleteOperation
    public void clearLocal(@Nullable String cacheManager) {
        cacheManagers.forEach((name, manager) -> {
            if (cacheManager == null || cacheManager.equals(name)) {
                manager.clearLocal();
            }
        });
    }

    // ---- tags (DELETE and GET /tags/{tag}, routed by evict and key) --------------------------------

    private static List<String> names(@Nullable String cacheNames) {
        if (cacheNames == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (String name : cacheNames.split(",")) {
            if (!name.isBlank()) {
                names.add(name.strip());
            }
        }
        if (names.isEmpty()) {
            throw new InvalidEndpointRequestException("cacheNames names no cache", "Invalid parameter");
        }
        return names;
    }

    private TagEvictionDescriptor evictTag(String tag, @Nullable String cacheManager, List<String> cacheNames) {
        Map<String, Long> evictedAt = new LinkedHashMap<>();
        cacheManagers.forEach((name, manager) -> {
            if (cacheManager == null || cacheManager.equals(name)) {
                long time = manager.getContext().tags().evict(List.of(tag), cacheNames);
                if (time == 0) {
                    throw new InvalidEndpointRequestException("'" + tag + "' is not a valid tag", "Invalid tag");
                }
                evictedAt.put(name, time);
            }
        });
        if (evictedAt.isEmpty()) {
            throw new InvalidEndpointRequestException("No multi-tier cache manager named '" + cacheManager + "'",
                    "No such cache manager");
        }
        return new TagEvictionDescriptor(tag, cacheNames, evictedAt);
    }

    private TagDescriptor tag(String tag, @Nullable String cacheManager) {
        Map<String, @Nullable Long> known = new LinkedHashMap<>();
        Map<String, Map<String, Long>> knownByCache = new LinkedHashMap<>();
        cacheManagers.forEach((name, manager) -> {
            if (cacheManager == null || cacheManager.equals(name)) {
                TagClock clock = manager.getContext().tags();
                known.put(name, clock.knownEviction(tag));
                Map<String, Long> caches = new LinkedHashMap<>();
                for (String cacheName : manager.getCacheNames()) {
                    Long time = clock.knownEviction(tag, cacheName);
                    if (time != null && time > 0) {
                        caches.put(cacheName, time);
                    }
                }
                if (!caches.isEmpty()) {
                    knownByCache.put(name, caches);
                }
            }
        });
        return new TagDescriptor(tag, known, knownByCache);
    }

    private static TagsDescriptor tags(TagClock clock) {
        return new TagsDescriptor(clock.evictions(), clock.evictionsReceived(), clock.fetches(), clock.owedRecords(),
                clock.recordTtlMillis(), clock.recentEvictions().stream()
                        .map(eviction -> new TagEvictionEvent(eviction.tag(), eviction.cache(),
                                Instant.ofEpochSecond(0, eviction.evictedAtMicros() * 1_000), eviction.origin()))
                        .toList());
    }

    /**
     * The outcome of evicting a tag.
     * @param tag the tag
     * @param cacheNames the caches the eviction was limited to, empty for all
     * @param evictedAtMicros its eviction time by manager bean name, epoch microseconds
     */
    public record TagEvictionDescriptor(String tag, List<String> cacheNames, Map<String, Long> evictedAtMicros)
            implements OperationResponseBody {
    }

    /**
     * What this instance knows of a tag.
     * @param tag the tag
     * @param knownEvictionMicros by manager bean name: its last eviction from every cache known here,
     *        epoch microseconds ({@code 0}: never evicted, as far as Redis said; {@code null}: not known
     *        here now)
     * @param knownCacheEvictionMicros by manager bean name, then cache name: its last eviction limited
     *        to that cache known here (caches with none known are left out)
     */
    public record TagDescriptor(String tag, Map<String, @Nullable Long> knownEvictionMicros,
            Map<String, Map<String, Long>> knownCacheEvictionMicros)
            implements OperationResponseBody {
    }

    /**
     * The tags of one manager.
     * @param evictions tags evicted by this instance
     * @param evictionsReceived tag evictions announced by other instances
     * @param fetches reads of tag records from Redis
     * @param owedRecords evictions not yet written to Redis (retried)
     * @param recordTtlMillis the life of a tag record in Redis, {@code 0} for none
     * @param recent the most recent evictions made or heard of here, newest first
     */
    public record TagsDescriptor(long evictions, long evictionsReceived, long fetches, int owedRecords,
            long recordTtlMillis, List<TagEvictionEvent> recent) {
    }

    /**
     * One tag eviction.
     * @param tag the tag
     * @param cache the cache it was limited to, {@code null} for every cache
     * @param evictedAt its eviction time
     * @param origin {@code local} or {@code remote}
     */
    public record TagEvictionEvent(String tag, @Nullable String cache, Instant evictedAt, String origin) {
    }

    // ---- lookups -----------------------------------------------------------------------------

    private @Nullable Target find(String cacheName, @Nullable String cacheManager) {
        List<Target> found = new ArrayList<>(1);
        cacheManagers.forEach((managerName, manager) -> {
            if (cacheManager == null || cacheManager.equals(managerName)) {
                // getCaches, not getCache: looking must not create a cache.
                for (MultiTierCache cache : manager.getCaches()) {
                    if (cache.getName().equals(cacheName)) {
                        found.add(new Target(managerName, cache.getNativeCache()));
                    }
                }
            }
        });
        if (found.size() > 1) {
            List<String> names = found.stream().map(Target::managerName).sorted().toList();
            throw new InvalidEndpointRequestException("Multiple cache managers " + names + " have a cache named '"
                    + cacheName + "'; name one with the 'cacheManager' parameter", "Cache name is not unique");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    private static String keyText(String[] segments) {
        if (segments.length == 0) {
            throw new InvalidEndpointRequestException("A key is required", "Missing key");
        }
        return String.join("/", segments);
    }

    private record Target(String managerName, TieredCache cache) {
    }

    /**
     * Every multi-tier cache, the Redis tier and the invalidation channel.
     * @param redis the Redis tier shared by the caches, {@code null} without one
     * @param invalidation the invalidation channel
     * @param cacheManagers the caches by manager bean name
     */
    public record MultiTierCachesDescriptor(@Nullable RedisDescriptor redis, InvalidationDescriptor invalidation,
            Map<String, CacheManagerDescriptor> cacheManagers) implements OperationResponseBody {
    }

    /**
     * The caches of one manager.
     * @param caches the caches by name
     * @param tags its tag evictions
     */
    public record CacheManagerDescriptor(Map<String, CacheDescriptor> caches, TagsDescriptor tags) {
    }

    /**
     * One cache: its effective settings and what it has done since startup in this instance.
     * @param name the cache name
     * @param cacheManager the manager's bean name
     * @param settings the effective settings, after defaults, annotation options, per-cache
     *        properties and customizers
     * @param hits lookups served by either tier
     * @param misses lookups neither tier could serve
     * @param hitRatio hits over lookups, {@code null} before the first lookup
     * @param l1 the in-process tier
     * @param l2 the Redis tier
     * @param loads the loader calls
     * @param puts explicit puts
     * @param evictions explicit evictions
     * @param clears clears of the whole cache
     * @param codecErrors values that could not be written to or read from Redis
     * @param bypasses calls that bypassed the cache (null key, or a key without a stable text form)
     * @param hotKeys the cache's hot keys in this instance
     */
    public record CacheDescriptor(String name, String cacheManager, SettingsDescriptor settings, long hits, long misses,
            @Nullable Double hitRatio, L1Descriptor l1, L2Descriptor l2, LoadsDescriptor loads, long puts,
            long evictions, long clears, long codecErrors, long bypasses, HotKeysDescriptor hotKeys)
            implements OperationResponseBody {
    }

    /**
     * The hot keys of one cache in this instance.
     * @param enabled whether the cache looks for hot keys
     * @param replicas the copies of each hot key kept in Redis, 0 when not replicated (standalone
     *        Redis, or {@code hot-keys.replicas = 0})
     * @param promotions times a key became hot here
     * @param cooldowns times a key stopped being hot here
     * @param replicaHits reads served by a replica
     * @param replicaMisses replica reads that missed and read the key itself
     * @param keys the keys hot now, found here or announced by another instance, hottest first
     */
    public record HotKeysDescriptor(boolean enabled, int replicas, long promotions, long cooldowns, long replicaHits,
            long replicaMisses, List<HotKeyDescriptor> keys) {
    }

    /**
     * A key hot in this instance.
     * @param key the key's text form, as in its Redis key
     * @param readsPerSecond its estimated read rate here over the sliding window, 0 when it is hot
     *        only because another instance announced it
     * @param local whether this instance found it hot
     * @param announced whether another instance announced it hot
     * @param replicated whether this instance reads it from its replicas in Redis
     */
    public record HotKeyDescriptor(String key, double readsPerSecond, boolean local, boolean announced,
            boolean replicated) {
    }

    /**
     * The effective settings of one cache, as configured under
     * {@code multi-tier-cache.caches.<name>.*}. Durations are ISO-8601 in JSON ({@code "PT5M"}).
     * @param l1Enabled whether values are kept in the in-process tier
     * @param l1MaximumSize the most entries the in-process tier holds
     * @param l1Ttl how long a value lives in the in-process tier, before jitter
     * @param l2Enabled whether values are kept in Redis
     * @param l2Ttl how long a value lives in Redis, before jitter
     * @param ttlJitter the fraction by which every TTL is spread, in {@code [0, 1)}
     * @param cacheNullValues whether a {@code null} result is cached
     * @param nullTtl how long a cached {@code null} lives, before jitter
     * @param compressionThreshold the encoded size in bytes above which values are compressed, 0 for never
     * @param maxValueSize the largest encoded value in bytes written to Redis, 0 for no limit
     * @param stampede how concurrent misses of a key share one load
     * @param refresh when values are refreshed before they expire
     * @param failSafe whether expired values are served when the loader fails or is slow
     * @param hotKeys how hot keys are found and kept
     */
    public record SettingsDescriptor(boolean l1Enabled, long l1MaximumSize, Duration l1Ttl, boolean l2Enabled,
            Duration l2Ttl, double ttlJitter, boolean cacheNullValues, Duration nullTtl, int compressionThreshold,
            int maxValueSize, StampedeDescriptor stampede, RefreshDescriptor refresh, FailSafeDescriptor failSafe,
            HotKeySettingsDescriptor hotKeys) {
    }

    /**
     * Stampede protection of one cache ({@code stampede.*}).
     * @param enabled whether a miss in both tiers takes the per-key lock in Redis before loading
     * @param lease how long the lock lives when its owner neither stores nor releases it
     * @param maxWait the longest a caller waits for another instance's load
     * @param onTimeout what a caller does then: {@code LOAD}, {@code FAIL} or {@code STALE}
     */
    public record StampedeDescriptor(boolean enabled, Duration lease, Duration maxWait, String onTimeout) {
    }

    /**
     * Refresh-ahead of one cache ({@code refresh.*}).
     * @param mode {@code NONE}, {@code FIXED} or {@code XFETCH}
     * @param aheadFraction for {@code FIXED}: the fraction of the TTL after which a read refreshes
     * @param xfetchBeta for {@code XFETCH}: how eagerly to refresh
     */
    public record RefreshDescriptor(String mode, double aheadFraction, double xfetchBeta) {
    }

    /**
     * Fail-safe of one cache ({@code fail-safe.*}).
     * @param enabled whether expired values are kept and served when the loader fails
     * @param maxStale how long after its expiry a value may still be served
     * @param softTimeout how long a caller waits for the loader with a stale value at hand, 0 for no limit
     * @param hardTimeout the longest any caller waits for a value, 0 for no limit
     */
    public record FailSafeDescriptor(boolean enabled, Duration maxStale, Duration softTimeout, Duration hardTimeout) {
    }

    /**
     * Hot-key settings of one cache ({@code hot-keys.*}).
     * @param enabled whether reads are counted and hot keys pinned, replicated and announced
     * @param window the sliding window over which reads are counted
     * @param minReadsPerSecond the read rate above which a key is hot
     * @param maxHotKeys the most keys hot at once
     * @param sketchWidth counters per row of the frequency sketch
     * @param l1Ttl how long a hot key is kept in L1, 0 for no differently from other keys
     * @param replicas copies of a hot key kept in Redis (Redis Cluster only), 0 for none
     */
    public record HotKeySettingsDescriptor(boolean enabled, Duration window, double minReadsPerSecond, int maxHotKeys,
            int sketchWidth, Duration l1Ttl, int replicas) {
    }

    /**
     * The in-process tier of one cache in this instance.
     * @param enabled whether the cache uses it
     * @param hits lookups it served
     * @param misses lookups it could not serve
     * @param hitRatio hits over lookups, {@code null} before the first lookup
     * @param size its approximate number of entries, {@code null} when disabled
     * @param sizeEvictions entries evicted because it was full
     * @param expirations entries removed because their time to live had passed
     */
    public record L1Descriptor(boolean enabled, long hits, long misses, @Nullable Double hitRatio, @Nullable Long size,
            long sizeEvictions, long expirations) {
    }

    /**
     * The Redis tier of one cache, as seen by this instance.
     * @param enabled whether the cache uses it
     * @param hits lookups it served
     * @param misses lookups it could not serve, including while Redis was unavailable
     * @param hitRatio hits over lookups, {@code null} before the first lookup
     */
    public record L2Descriptor(boolean enabled, long hits, long misses, @Nullable Double hitRatio) {
    }

    /**
     * The loader calls of one cache.
     * @param count calls that returned a value
     * @param failures calls that threw
     * @param totalTimeMillis time spent in calls that returned a value
     * @param meanTimeMillis mean time of a call that returned a value, {@code null} before the first
     */
    public record LoadsDescriptor(long count, long failures, double totalTimeMillis, @Nullable Double meanTimeMillis) {
    }

    /**
     * The Redis tier shared by the caches.
     * @param available whether calls currently go to Redis
     * @param circuitBreaker the breaker's state: {@code CLOSED}, {@code OPEN} or {@code HALF_OPEN}
     * @param failures calls that failed or timed out
     * @param timeouts calls that timed out
     * @param rejected calls not made because the breaker was open
     */
    public record RedisDescriptor(boolean available, String circuitBreaker, long failures, long timeouts,
            long rejected) {
    }

    /**
     * The invalidation channel.
     * @param enabled whether cross-instance invalidation is on
     * @param healthy whether own heartbeats come back in time, {@code null} when disabled
     * @param l1Degraded whether L1 entries are currently capped because the channel is not trusted
     * @param channel the pub/sub channel
     * @param senderId this instance's id in messages
     * @param maxStalenessMillis the staleness bound the channel keeps under faults
     * @param peers other instances heard from recently
     * @param messagesSent messages published, heartbeats included
     * @param messagesReceived messages received from other instances
     * @param keysSent keys (or whole caches) sent in invalidations
     * @param keysReceived keys (or whole caches) received in invalidations
     * @param heartbeatsSent heartbeats published
     * @param heartbeatsReceived own heartbeats received back
     * @param publishFailures messages that could not be published
     * @param gaps gaps detected (lost messages, resubscriptions, silent peers, unreadable messages)
     * @param flushes times the whole L1 was dropped
     * @param degradations times the channel was found unhealthy
     * @param lastMessageReceivedAt when the last message from another instance arrived
     * @param lastHeartbeatRoundTripMillis publish-to-receive time of the last own heartbeat
     */
    public record InvalidationDescriptor(boolean enabled, @Nullable Boolean healthy, boolean l1Degraded,
            @Nullable String channel, @Nullable String senderId, @Nullable Long maxStalenessMillis, int peers,
            long messagesSent, long messagesReceived, long keysSent, long keysReceived, long heartbeatsSent,
            long heartbeatsReceived, long publishFailures, long gaps, long flushes, long degradations,
            @Nullable Instant lastMessageReceivedAt, @Nullable Double lastHeartbeatRoundTripMillis) {
    }

    /**
     * Where one key is held.
     * @param cache the cache name
     * @param cacheManager the manager's bean name
     * @param key the key's text form
     * @param redisKey the key in Redis
     * @param heldIn the tiers holding it: {@code l1}, {@code l2}
     * @param l1 the key in this instance's L1
     * @param l2 the key in Redis
     * @param hot whether the key is hot in this instance
     * @param tags the tags of its copy in this instance's L1 (empty without one)
     */
    public record KeyDescriptor(String cache, String cacheManager, String key, String redisKey, List<String> heldIn,
            KeyTierDescriptor l1, KeyTierDescriptor l2, boolean hot, List<String> tags)
            implements OperationResponseBody {
    }

    /**
     * One key in one tier.
     * @param enabled whether the cache uses the tier
     * @param present whether the tier holds the key, {@code null} when that could not be found out
     * @param remainingTtlMillis its remaining time to live, {@code null} when absent or unknown
     * @param note why presence is unknown
     */
    public record KeyTierDescriptor(boolean enabled, @Nullable Boolean present, @Nullable Long remainingTtlMillis,
            @Nullable String note) {

        static final KeyTierDescriptor DISABLED = new KeyTierDescriptor(false, false, null, null);

        static final KeyTierDescriptor ABSENT = new KeyTierDescriptor(true, false, null, null);
    }

    /**
     * The outcome of evicting one key.
     * @param cache the cache name
     * @param cacheManager the manager's bean name
     * @param key the key's text form
     * @param present whether either tier held the key, as far as known
     */
    public record KeyEvictionDescriptor(String cache, String cacheManager, String key, boolean present)
            implements OperationResponseBody {
    }
}
