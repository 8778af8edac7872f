package io.github.multitiercache.autoconfigure.endpoint;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.CacheDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.FailSafeDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.HotKeyDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.HotKeySettingsDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.HotKeysDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.InvalidationDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.KeyTierDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.L1Descriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.L2Descriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.LoadsDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.RedisDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.RefreshDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.SettingsDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.StampedeDescriptor;
import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.CacheStatistics;
import io.github.multitiercache.core.L1Guard;
import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.hotkey.HotKeyStatistics;
import io.github.multitiercache.core.hotkey.HotKeyStatus;
import io.github.multitiercache.core.invalidation.InvalidationBus;
import io.github.multitiercache.core.invalidation.InvalidationStatistics;
import io.github.multitiercache.core.l1.L1Tier;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Turns the engine's state into the endpoint's response types. The only place that reads engine
 * types for the endpoint, so that a change in the engine changes this mapping, not the JSON.
 */
final class Descriptions {

    private final @Nullable RedisTier redis;

    private final @Nullable InvalidationBus invalidationBus;

    private final @Nullable L1Guard l1Guard;

    private final @Nullable RedisConnectionFactory connectionFactory;

    Descriptions(@Nullable RedisTier redis, @Nullable InvalidationBus invalidationBus, @Nullable L1Guard l1Guard,
            @Nullable RedisConnectionFactory connectionFactory) {
        this.redis = redis;
        this.invalidationBus = invalidationBus;
        this.l1Guard = l1Guard;
        this.connectionFactory = connectionFactory;
    }

    CacheDescriptor cache(String managerName, TieredCache cache) {
        CacheStatistics statistics = cache.statistics();
        L1Tier l1 = cache.insight().l1();
        L1Descriptor l1Descriptor = new L1Descriptor(l1 != null, statistics.l1Hits(), statistics.l1Misses(),
                ratio(statistics.l1Hits(), statistics.l1Misses()), (l1 != null) ? l1.estimatedSize() : null,
                (l1 != null) ? l1.sizeEvictions() : 0, (l1 != null) ? l1.expirations() : 0);
        L2Descriptor l2Descriptor = new L2Descriptor(cache.settings().l2Enabled(), statistics.l2Hits(),
                statistics.l2Misses(), ratio(statistics.l2Hits(), statistics.l2Misses()));
        long loads = statistics.loads();
        double loadMillis = statistics.loadNanos() / 1e6;
        LoadsDescriptor loadsDescriptor = new LoadsDescriptor(loads, statistics.loadFailures(), loadMillis,
                (loads > 0) ? loadMillis / loads : null);
        return new CacheDescriptor(cache.name(), managerName, settings(cache.settings()), statistics.hits(),
                statistics.misses(), ratio(statistics.hits(), statistics.misses()), l1Descriptor, l2Descriptor,
                loadsDescriptor, statistics.puts(), statistics.evictions(), statistics.clears(),
                statistics.codecErrors(), statistics.bypasses(), hotKeys(cache));
    }

    static SettingsDescriptor settings(CacheSettings settings) {
        StampedeSettings stampede = settings.stampede();
        RefreshSettings refresh = settings.refresh();
        FailSafeSettings failSafe = settings.failSafe();
        HotKeySettings hotKeys = settings.hotKeys();
        return new SettingsDescriptor(settings.l1Enabled(), settings.l1MaximumSize(), settings.l1Ttl(),
                settings.l2Enabled(), settings.l2Ttl(), settings.ttlJitter(), settings.cacheNullValues(),
                settings.nullTtl(), settings.compressionThreshold(), settings.maxValueSize(),
                new StampedeDescriptor(stampede.enabled(), stampede.lease(), stampede.maxWait(),
                        stampede.onTimeout().name()),
                new RefreshDescriptor(refresh.mode().name(), refresh.aheadFraction(), refresh.xfetchBeta()),
                new FailSafeDescriptor(failSafe.enabled(), failSafe.maxStale(), failSafe.softTimeout(),
                        failSafe.hardTimeout()),
                new HotKeySettingsDescriptor(hotKeys.enabled(), hotKeys.window(), hotKeys.minReadsPerSecond(),
                        hotKeys.maxHotKeys(), hotKeys.sketchWidth(), hotKeys.l1Ttl(), hotKeys.replicas()));
    }

    private static HotKeysDescriptor hotKeys(TieredCache cache) {
        HotKeyStatistics statistics = cache.insight().hotKeyStatistics();
        if (statistics == null) {
            return new HotKeysDescriptor(false, 0, 0, 0, 0, 0, List.of());
        }
        List<HotKeyDescriptor> keys = cache.insight().hotKeys().stream().map(Descriptions::hotKey).toList();
        return new HotKeysDescriptor(true, cache.insight().hotKeyReplicas(), statistics.promotions(), statistics.cooldowns(),
                statistics.replicaHits(), statistics.replicaMisses(), keys);
    }

    private static HotKeyDescriptor hotKey(HotKeyStatus status) {
        return new HotKeyDescriptor(status.key(), status.readsPerSecond(), status.local(), status.announced(),
                status.replicated());
    }

    @Nullable RedisDescriptor redis() {
        RedisTier redis = this.redis;
        if (redis == null) {
            return null;
        }
        RedisTier.Stats stats = redis.stats();
        return new RedisDescriptor(redis.isAvailable(), redis.circuitBreaker().state().name(), stats.failures(),
                stats.timeouts(), stats.rejected());
    }

    InvalidationDescriptor invalidation() {
        InvalidationBus bus = invalidationBus;
        boolean l1Degraded = l1Guard != null && (l1Guard.isDegraded() || l1Guard.isTrackingDegraded());
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

    KeyTierDescriptor l1(TieredCache cache, String keyText) {
        L1Tier l1 = cache.insight().l1();
        if (l1 == null) {
            return KeyTierDescriptor.DISABLED;
        }
        int epoch = (l1Guard != null) ? l1Guard.epoch() : 0;
        long remaining = l1.remainingNanosByText(keyText, epoch);
        return (remaining < 0) ? KeyTierDescriptor.ABSENT
                : new KeyTierDescriptor(true, true, TimeUnit.NANOSECONDS.toMillis(remaining), null);
    }

    KeyTierDescriptor l2(TieredCache cache, String redisKey) {
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

    boolean isHot(TieredCache cache, String keyText) {
        return cache.insight().hotKeys().stream().anyMatch(status -> status.key().equals(keyText));
    }

    private static @Nullable Double ratio(long hits, long misses) {
        long total = hits + misses;
        return (total > 0) ? (double) hits / total : null;
    }
}
