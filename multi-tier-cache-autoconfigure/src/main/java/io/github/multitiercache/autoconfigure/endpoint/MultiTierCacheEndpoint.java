package io.github.multitiercache.autoconfigure.endpoint;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.CacheStatistics;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.hotkey.HotKeyStatistics;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.github.multitiercache.core.l1.L1Tier;
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
import org.springframework.data.redis.connection.RedisConnection;
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
 */
@Endpoint(id = MultiTierCacheEndpoint.ID)
public class MultiTierCacheEndpoint {

    /** The endpoint id. */
    public static final String ID = "multitiercache";

    private final Map<String, MultiTierCacheManager> cacheManagers;

    private final @Nullable RedisTier redis;

    private final @Nullable InvalidationBus invalidationBus;

    private final @Nullable L1Guard l1Guard;

    private final @Nullable RedisConnectionFactory connectionFactory;

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
        this.redis = redis;
        this.invalidationBus = invalidationBus;
        this.l1Guard = l1Guard;
        this.connectionFactory = connectionFactory;
    }

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
                    .forEach(cache -> caches.put(cache.getName(), describe(managerName, cache.getNativeCache())));
            managers.put(managerName, new CacheManagerDescriptor(caches));
        });
        return new MultiTierCachesDescriptor(describeRedis(), describeInvalidation(), managers);
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
        return (target != null) ? describe(target.managerName(), target.cache()) : null;
    }

    /**
     * Tells which tiers hold a key and for how long.
     * @param cache the cache name
     * @param key the key's text form, in path segments
     * @param cacheManager the manager's bean name, needed only when the cache name is not unique
     * @return the description, or {@code null} (404) when there is no such cache
     */
    @ReadOperation
    public @Nullable KeyDescriptor key(@Selector String cache, @Selector(match = Match.ALL_REMAINING) String[] key,
            @Nullable String cacheManager) {
        Target target = find(cache, cacheManager);
        if (target == null) {
            return null;
        }
        String keyText = keyText(key);
        TieredCache engine = target.cache();
        String redisKey = engine.redisKeyOf(keyText);
        KeyTierDescriptor l1 = describeL1(engine, keyText);
        KeyTierDescriptor l2 = describeL2(engine, redisKey);
        List<String> heldIn = new ArrayList<>(2);
        if (Boolean.TRUE.equals(l1.present())) {
            heldIn.add("l1");
        }
        if (Boolean.TRUE.equals(l2.present())) {
            heldIn.add("l2");
        }
        boolean hot = engine.hotKeys().stream().anyMatch(status -> status.key().equals(keyText));
        return new KeyDescriptor(engine.name(), target.managerName(), keyText, redisKey, heldIn, l1, l2, hot);
    }

    /**
     * Evicts a key from both tiers and tells every other instance to drop its L1 copy.
     * @param cache the cache name
     * @param key the key's text form, in path segments
     * @param cacheManager the manager's bean name, needed only when the cache name is not unique
     * @return what was evicted
     * @throws InvalidEndpointRequestException (400) when there is no such cache
     */
    @DeleteOperation
    public KeyEvictionDescriptor evict(@Selector String cache, @Selector(match = Match.ALL_REMAINING) String[] key,
            @Nullable String cacheManager) {
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

    // ---- descriptions ------------------------------------------------------------------------

    private CacheDescriptor describe(String managerName, TieredCache cache) {
        CacheStatistics statistics = cache.statistics();
        L1Tier l1 = cache.l1();
        L1Descriptor l1Descriptor = new L1Descriptor(l1 != null, statistics.l1Hits(), statistics.l1Misses(),
                ratio(statistics.l1Hits(), statistics.l1Misses()), (l1 != null) ? l1.estimatedSize() : null,
                (l1 != null) ? l1.sizeEvictions() : 0, (l1 != null) ? l1.expirations() : 0);
        L2Descriptor l2Descriptor = new L2Descriptor(cache.settings().l2Enabled(), statistics.l2Hits(),
                statistics.l2Misses(), ratio(statistics.l2Hits(), statistics.l2Misses()));
        long loads = statistics.loads();
        double loadMillis = statistics.loadNanos() / 1e6;
        LoadsDescriptor loadsDescriptor = new LoadsDescriptor(loads, statistics.loadFailures(), loadMillis,
                (loads > 0) ? loadMillis / loads : null);
        return new CacheDescriptor(cache.name(), managerName, cache.settings(), statistics.hits(),
                statistics.misses(), ratio(statistics.hits(), statistics.misses()), l1Descriptor, l2Descriptor,
                loadsDescriptor, statistics.puts(), statistics.evictions(), statistics.clears(),
                statistics.codecErrors(), statistics.bypasses(), describeHotKeys(cache));
    }

    private static HotKeysDescriptor describeHotKeys(TieredCache cache) {
        HotKeyStatistics statistics = cache.hotKeyStatistics();
        if (statistics == null) {
            return new HotKeysDescriptor(false, 0, 0, 0, 0, 0, List.of());
        }
        return new HotKeysDescriptor(true, cache.hotKeyReplicas(), statistics.promotions(), statistics.cooldowns(),
                statistics.replicaHits(), statistics.replicaMisses(), cache.hotKeys());
    }

    private @Nullable RedisDescriptor describeRedis() {
        RedisTier redis = this.redis;
        if (redis == null) {
            return null;
        }
        RedisTier.Stats stats = redis.stats();
        return new RedisDescriptor(redis.isAvailable(), redis.circuitBreaker().state().name(), stats.failures(),
                stats.timeouts(), stats.rejected());
    }

    private InvalidationDescriptor describeInvalidation() {
        InvalidationBus bus = invalidationBus;
        boolean l1Degraded = l1Guard != null && l1Guard.isDegraded();
        if (bus == null) {
            return new InvalidationDescriptor(false, null, l1Degraded, null, null, null, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, null, null);
        }
        InvalidationStatistics statistics = bus.statistics();
        long lastReceived = statistics.lastReceivedAtMillis();
        long roundTrip = statistics.lastHeartbeatRoundTripNanos();
        return new InvalidationDescriptor(true, bus.isHealthy(), l1Degraded, bus.settings().channel(),
                bus.senderId(), bus.settings().maxStaleness().toMillis(), bus.peerCount(), statistics.messagesSent(),
                statistics.messagesReceived(), statistics.keysSent(), statistics.keysReceived(),
                statistics.heartbeatsSent(), statistics.heartbeatsReceived(), statistics.publishFailures(),
                statistics.gaps(), statistics.flushes(), statistics.degradations(),
                (lastReceived > 0) ? Instant.ofEpochMilli(lastReceived) : null,
                (roundTrip > 0) ? Math.round(roundTrip / 1_000.0) / 1_000.0 : null);
    }

    private KeyTierDescriptor describeL1(TieredCache cache, String keyText) {
        L1Tier l1 = cache.l1();
        if (l1 == null) {
            return KeyTierDescriptor.DISABLED;
        }
        int epoch = (l1Guard != null) ? l1Guard.epoch() : 0;
        long remaining = l1.remainingNanosByText(keyText, epoch);
        return (remaining < 0) ? KeyTierDescriptor.ABSENT
                : new KeyTierDescriptor(true, true, TimeUnit.NANOSECONDS.toMillis(remaining), null);
    }

    private KeyTierDescriptor describeL2(TieredCache cache, String redisKey) {
        RedisConnectionFactory connectionFactory = this.connectionFactory;
        if (!cache.settings().l2Enabled() || connectionFactory == null) {
            return KeyTierDescriptor.DISABLED;
        }
        if (redis != null && !redis.isAvailable()) {
            return new KeyTierDescriptor(true, null, null, "Redis circuit breaker is open");
        }
        try (RedisConnection connection = connectionFactory.getConnection()) {
            Long pttl = connection.keyCommands().pTtl(redisKey.getBytes(StandardCharsets.UTF_8));
            if (pttl == null || pttl == -2) {
                return KeyTierDescriptor.ABSENT;
            }
            return new KeyTierDescriptor(true, true, (pttl >= 0) ? pttl : null, null);
        }
        catch (RuntimeException ex) {
            return new KeyTierDescriptor(true, null, null, "Redis could not be asked: " + ex.getMessage());
        }
    }

    private static @Nullable Double ratio(long hits, long misses) {
        long total = hits + misses;
        return (total > 0) ? (double) hits / total : null;
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
     */
    public record CacheManagerDescriptor(Map<String, CacheDescriptor> caches) {
    }

    /**
     * One cache: its effective settings and what it has done since startup in this instance.
     * @param name the cache name
     * @param cacheManager the manager's bean name
     * @param settings the effective settings
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
    public record CacheDescriptor(String name, String cacheManager, CacheSettings settings, long hits, long misses,
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
            long replicaMisses, List<HotKeyStatus> keys) {
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
     */
    public record KeyDescriptor(String cache, String cacheManager, String key, String redisKey, List<String> heldIn,
            KeyTierDescriptor l1, KeyTierDescriptor l2, boolean hot) implements OperationResponseBody {
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
