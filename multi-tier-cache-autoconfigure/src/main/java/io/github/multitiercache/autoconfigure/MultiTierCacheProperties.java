package io.github.multitiercache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.multitiercache.core.CacheOption;
import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeanWrapper;
import org.springframework.beans.PropertyAccessorFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of multi-tier-cache, under {@code multi-tier-cache}.
 *
 * <p>Every cache option exists once under {@code defaults} and can be overridden per cache under
 * {@code caches.<cache-name>}. An option left unset inherits: per-cache configuration, then the
 * cache's {@code @MultiTierCacheable} options, then {@code defaults}, then the built-in default.
 */
@ConfigurationProperties(prefix = "multi-tier-cache", ignoreUnknownFields = false)
public class MultiTierCacheProperties {

    /** Whether the multi-tier cache manager is auto-configured. */
    private boolean enabled = true;

    /** First segment of every Redis key written by the caches: prefix:cache:key. */
    private String keyPrefix = "mtc";

    /** Whether caches not named under 'caches' are created on first use with the defaults. */
    private boolean dynamic = true;

    /**
     * Whether plain @Cacheable methods (one cache, no 'unless', no other cache annotation) load
     * through the cache as with sync=true: one load per key, and loads never broadcast invalidations.
     */
    private boolean loadThrough = true;

    /**
     * Whether L1 hits of simple @Cacheable methods (one cache, default key, no 'condition', no
     * cache manager, resolver or key generator of their own) are answered before Spring's cache
     * interceptor runs, which saves most of the cost of an annotated hit.
     */
    private boolean l1HitShortcut = true;

    /** Options applied to every cache unless overridden per cache. */
    @NestedConfigurationProperty
    private CacheSpec defaults = new CacheSpec();

    /** Per-cache options, by cache name; these caches exist from startup. */
    private Map<String, CacheSpec> caches = new LinkedHashMap<>();

    /** How the caches talk to Redis. */
    @NestedConfigurationProperty
    private final Redis redis = new Redis();

    /** How values are serialized in Redis. */
    @NestedConfigurationProperty
    private final Serialization serialization = new Serialization();

    /** Cross-instance L1 invalidation over Redis pub/sub. */
    @NestedConfigurationProperty
    private final Invalidation invalidation = new Invalidation();

    /** The multiTierCache and redis health contributors. */
    @NestedConfigurationProperty
    private final Health health = new Health();

    /**
     * Settings of the optional multi-tier-cache-cdc module, which binds them itself (see docs/cdc.md);
     * accepted here so that this class, which refuses unknown keys, does not refuse them.
     */
    private Map<String, Object> cdc = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public Map<String, Object> getCdc() {
        return cdc;
    }

    public void setCdc(Map<String, Object> cdc) {
        this.cdc = cdc;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getKeyPrefix() {
        return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    public boolean isDynamic() {
        return dynamic;
    }

    public void setDynamic(boolean dynamic) {
        this.dynamic = dynamic;
    }

    public boolean isLoadThrough() {
        return loadThrough;
    }

    public void setLoadThrough(boolean loadThrough) {
        this.loadThrough = loadThrough;
    }

    public boolean isL1HitShortcut() {
        return l1HitShortcut;
    }

    public void setL1HitShortcut(boolean l1HitShortcut) {
        this.l1HitShortcut = l1HitShortcut;
    }

    public CacheSpec getDefaults() {
        return defaults;
    }

    public void setDefaults(CacheSpec defaults) {
        this.defaults = defaults;
    }

    public Map<String, CacheSpec> getCaches() {
        return caches;
    }

    public void setCaches(Map<String, CacheSpec> caches) {
        this.caches = caches;
    }

    public Redis getRedis() {
        return redis;
    }

    public Serialization getSerialization() {
        return serialization;
    }

    public Invalidation getInvalidation() {
        return invalidation;
    }

    public Health getHealth() {
        return health;
    }

    /** Options of one cache; an unset option inherits (see {@link MultiTierCacheProperties}). */
    public static class CacheSpec {

        /** The in-process tier (Caffeine). */
        @NestedConfigurationProperty
        private final L1 l1 = new L1();

        /** The shared tier (Redis). */
        @NestedConfigurationProperty
        private final L2 l2 = new L2();

        /** Stampede protection: one load per key across every instance. */
        @NestedConfigurationProperty
        private final Stampede stampede = new Stampede();

        /** Refresh-ahead: refresh values in the background before they expire. */
        @NestedConfigurationProperty
        private final Refresh refresh = new Refresh();

        /** Fail-safe: serve expired values when the loader fails or is slow. */
        @NestedConfigurationProperty
        private final FailSafe failSafe = new FailSafe();

        /** Hot keys: found per instance, kept in L1, replicated over a Redis Cluster's shards. */
        @NestedConfigurationProperty
        private final HotKeys hotKeys = new HotKeys();

        /** Fraction by which every TTL is spread uniformly, in [0, 1). Defaults to 0.1 (±10 %). */
        private @Nullable Double ttlJitter;

        /** Whether null results are cached. Defaults to true. */
        private @Nullable Boolean cacheNullValues;

        /** Time to live of a cached null in either tier. Defaults to 30s. */
        private @Nullable Duration nullTtl;

        /** Encoded size above which values are compressed in Redis; 0 disables. Defaults to 16KB. */
        private @Nullable DataSize compressionThreshold;

        /** Largest encoded value written to Redis; larger ones stay in L1 only. 0 means no limit. Defaults to 8MB. */
        private @Nullable DataSize maxValueSize;

        public L1 getL1() {
            return l1;
        }

        public L2 getL2() {
            return l2;
        }

        public Stampede getStampede() {
            return stampede;
        }

        public Refresh getRefresh() {
            return refresh;
        }

        public FailSafe getFailSafe() {
            return failSafe;
        }

        public HotKeys getHotKeys() {
            return hotKeys;
        }

        public @Nullable Double getTtlJitter() {
            return ttlJitter;
        }

        public void setTtlJitter(@Nullable Double ttlJitter) {
            this.ttlJitter = ttlJitter;
        }

        public @Nullable Boolean getCacheNullValues() {
            return cacheNullValues;
        }

        public void setCacheNullValues(@Nullable Boolean cacheNullValues) {
            this.cacheNullValues = cacheNullValues;
        }

        public @Nullable Duration getNullTtl() {
            return nullTtl;
        }

        public void setNullTtl(@Nullable Duration nullTtl) {
            this.nullTtl = nullTtl;
        }

        public @Nullable DataSize getCompressionThreshold() {
            return compressionThreshold;
        }

        public void setCompressionThreshold(@Nullable DataSize compressionThreshold) {
            this.compressionThreshold = compressionThreshold;
        }

        public @Nullable DataSize getMaxValueSize() {
            return maxValueSize;
        }

        public void setMaxValueSize(@Nullable DataSize maxValueSize) {
            this.maxValueSize = maxValueSize;
        }

        /**
         * The options this spec sets. Each {@link CacheSettings#options() option} is read from
         * the property of its name ({@code hot-keys.min-reads-per-second} from
         * {@code getHotKeys().getMinReadsPerSecond()}); sizes are given in bytes.
         * @param path the property path of this spec, for error messages
         * @return the options
         * @throws IllegalArgumentException when a size does not fit an int
         */
        CacheOptions toOptions(String path) {
            BeanWrapper properties = PropertyAccessorFactory.forBeanPropertyAccess(this);
            CacheOptions options = CacheOptions.none();
            for (CacheOption<?> option : CacheSettings.options()) {
                options = with(options, option, properties.getPropertyValue(beanPath(option)), path);
            }
            return options;
        }

        private static <T> CacheOptions with(CacheOptions options, CacheOption<T> option, @Nullable Object value,
                String path) {
            if (value instanceof DataSize size && option.type() == Integer.class) {
                if (size.toBytes() > Integer.MAX_VALUE || size.toBytes() < 0) {
                    throw new IllegalArgumentException(path + "." + option.name()
                            + " must be between 0 and 2GB but was " + size);
                }
                value = (int) size.toBytes();
            }
            return options.with(option, option.type().cast(value));
        }

        /** The bean path of an option: {@code hotKeys.minReadsPerSecond} for {@code hot-keys.min-reads-per-second}. */
        private static String beanPath(CacheOption<?> option) {
            StringBuilder path = new StringBuilder();
            boolean upper = false;
            for (char c : option.name().toCharArray()) {
                if (c == '-') {
                    upper = true;
                }
                else {
                    path.append(upper ? Character.toUpperCase(c) : c);
                    upper = false;
                }
            }
            return path.toString();
        }
    }

    /** Stampede protection of one cache. */
    public static class Stampede {

        /** Whether a miss in both tiers takes a per-key lock in Redis so that one instance loads. Defaults to true. */
        private @Nullable Boolean enabled;

        /** How long the per-key lock lives if its owner neither stores nor releases it; a load that takes longer is not cached. Defaults to 10s. */
        private @Nullable Duration lease;

        /** Longest a caller waits for another instance's load before 'on-timeout' applies. Defaults to 5s. */
        private @Nullable Duration maxWait;

        /** What a caller does after waiting max-wait: LOAD (without the lock), FAIL, or STALE (serve the fail-safe value if any, else load). Defaults to LOAD. */
        private StampedeSettings.@Nullable OnTimeout onTimeout;

        public @Nullable Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(@Nullable Boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable Duration getLease() {
            return lease;
        }

        public void setLease(@Nullable Duration lease) {
            this.lease = lease;
        }

        public @Nullable Duration getMaxWait() {
            return maxWait;
        }

        public void setMaxWait(@Nullable Duration maxWait) {
            this.maxWait = maxWait;
        }

        public StampedeSettings.@Nullable OnTimeout getOnTimeout() {
            return onTimeout;
        }

        public void setOnTimeout(StampedeSettings.@Nullable OnTimeout onTimeout) {
            this.onTimeout = onTimeout;
        }
    }

    /** Refresh-ahead of one cache. */
    public static class Refresh {

        /** When a read from Redis starts a background refresh: NONE, FIXED (after ahead-fraction of the TTL) or XFETCH (probabilistic). Defaults to NONE. */
        private RefreshSettings.@Nullable Mode mode;

        /** For FIXED: fraction of the TTL after which a read refreshes, in (0, 1). Defaults to 0.8. */
        private @Nullable Double aheadFraction;

        /** For XFETCH: eagerness of early refresh; larger refreshes earlier. Defaults to 1.0. */
        private @Nullable Double xfetchBeta;

        public RefreshSettings.@Nullable Mode getMode() {
            return mode;
        }

        public void setMode(RefreshSettings.@Nullable Mode mode) {
            this.mode = mode;
        }

        public @Nullable Double getAheadFraction() {
            return aheadFraction;
        }

        public void setAheadFraction(@Nullable Double aheadFraction) {
            this.aheadFraction = aheadFraction;
        }

        public @Nullable Double getXfetchBeta() {
            return xfetchBeta;
        }

        public void setXfetchBeta(@Nullable Double xfetchBeta) {
            this.xfetchBeta = xfetchBeta;
        }
    }

    /** Fail-safe of one cache. */
    public static class FailSafe {

        /** Whether expired values stay in Redis for max-stale and are served when the loader fails or is slow. Defaults to false. */
        private @Nullable Boolean enabled;

        /** How long after its expiry a value may still be served. Defaults to 10m. */
        private @Nullable Duration maxStale;

        /** How long a caller waits for the loader when a stale value is at hand; 0 waits for the loader. Defaults to 0. */
        private @Nullable Duration softTimeout;

        /** Longest any caller waits for a value before the call fails; 0 for no bound. Applies even with fail-safe off. Defaults to 0. */
        private @Nullable Duration hardTimeout;

        public @Nullable Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(@Nullable Boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable Duration getMaxStale() {
            return maxStale;
        }

        public void setMaxStale(@Nullable Duration maxStale) {
            this.maxStale = maxStale;
        }

        public @Nullable Duration getSoftTimeout() {
            return softTimeout;
        }

        public void setSoftTimeout(@Nullable Duration softTimeout) {
            this.softTimeout = softTimeout;
        }

        public @Nullable Duration getHardTimeout() {
            return hardTimeout;
        }

        public void setHardTimeout(@Nullable Duration hardTimeout) {
            this.hardTimeout = hardTimeout;
        }
    }

    /** Hot keys of one cache. */
    public static class HotKeys {

        /** Whether reads are counted to find hot keys, which are then kept in L1, replicated and announced to the other instances. Defaults to true. */
        private @Nullable Boolean enabled;

        /** Sliding window over which reads are counted. Defaults to 10s. */
        private @Nullable Duration window;

        /** Read rate, in one instance, above which a key is hot. Defaults to 500. */
        private @Nullable Double minReadsPerSecond;

        /** Most keys hot at once in one instance; the hottest win. Defaults to 32. */
        private @Nullable Integer maxHotKeys;

        /** Counters per row of the frequency sketch, a power of two from 64 to 65536; memory is 32 bytes per unit of width. Defaults to 4096. */
        private @Nullable Integer sketchWidth;

        /** How long a hot key is kept in L1, even when L1 is off or its TTL shorter (never beyond its life in Redis); 0 disables. Defaults to 5s. */
        private @Nullable Duration l1Ttl;

        /** Copies of a hot key kept in Redis on keys spread over the cluster's slots, read at random; 0 disables. Redis Cluster only. Defaults to 3. */
        private @Nullable Integer replicas;

        public @Nullable Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(@Nullable Boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable Duration getWindow() {
            return window;
        }

        public void setWindow(@Nullable Duration window) {
            this.window = window;
        }

        public @Nullable Double getMinReadsPerSecond() {
            return minReadsPerSecond;
        }

        public void setMinReadsPerSecond(@Nullable Double minReadsPerSecond) {
            this.minReadsPerSecond = minReadsPerSecond;
        }

        public @Nullable Integer getMaxHotKeys() {
            return maxHotKeys;
        }

        public void setMaxHotKeys(@Nullable Integer maxHotKeys) {
            this.maxHotKeys = maxHotKeys;
        }

        public @Nullable Integer getSketchWidth() {
            return sketchWidth;
        }

        public void setSketchWidth(@Nullable Integer sketchWidth) {
            this.sketchWidth = sketchWidth;
        }

        public @Nullable Duration getL1Ttl() {
            return l1Ttl;
        }

        public void setL1Ttl(@Nullable Duration l1Ttl) {
            this.l1Ttl = l1Ttl;
        }

        public @Nullable Integer getReplicas() {
            return replicas;
        }

        public void setReplicas(@Nullable Integer replicas) {
            this.replicas = replicas;
        }
    }

    /** Options of the in-process tier. */
    public static class L1 {

        /** Whether values are kept in the in-process tier. Defaults to true. */
        private @Nullable Boolean enabled;

        /** Maximum number of entries in the in-process tier. Defaults to 10000. */
        private @Nullable Long maximumSize;

        /** Time to live in the in-process tier, never longer than the value's remaining life in Redis. Defaults to 1m. */
        private @Nullable Duration ttl;

        public @Nullable Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(@Nullable Boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable Long getMaximumSize() {
            return maximumSize;
        }

        public void setMaximumSize(@Nullable Long maximumSize) {
            this.maximumSize = maximumSize;
        }

        public @Nullable Duration getTtl() {
            return ttl;
        }

        public void setTtl(@Nullable Duration ttl) {
            this.ttl = ttl;
        }
    }

    /** Options of the Redis tier. */
    public static class L2 {

        /** Whether values are kept in Redis. Defaults to true. */
        private @Nullable Boolean enabled;

        /** Time to live in Redis. Defaults to 10m. */
        private @Nullable Duration ttl;

        public @Nullable Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(@Nullable Boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable Duration getTtl() {
            return ttl;
        }

        public void setTtl(@Nullable Duration ttl) {
            this.ttl = ttl;
        }
    }

    /** How the caches talk to Redis. */
    public static class Redis {

        /** Longest a cache call waits for one Redis command before serving from L1 and the loader. */
        private Duration commandTimeout = Duration.ofMillis(250);

        /** Consecutive Redis failures that open the circuit breaker. */
        private int failureThreshold = 5;

        /** How long the open circuit breaker keeps calls away from Redis before probing it. */
        private Duration openDuration = Duration.ofSeconds(5);

        public Duration getCommandTimeout() {
            return commandTimeout;
        }

        public void setCommandTimeout(Duration commandTimeout) {
            this.commandTimeout = commandTimeout;
        }

        public int getFailureThreshold() {
            return failureThreshold;
        }

        public void setFailureThreshold(int failureThreshold) {
            this.failureThreshold = failureThreshold;
        }

        public Duration getOpenDuration() {
            return openDuration;
        }

        public void setOpenDuration(Duration openDuration) {
            this.openDuration = openDuration;
        }
    }

    /** The multiTierCache and redis health contributors. */
    public static class Health {

        /**
         * Status reported while Redis is unreachable or does not answer in time, by the
         * multiTierCache contributor and by the redis contributor that replaces Boot's: UP (the
         * caches keep serving from L1 and the loaders, and the details say 'degraded'), DOWN,
         * OUT_OF_SERVICE or UNKNOWN.
         */
        private String redisDownStatus = "UP";

        /** Longest a health request waits for Redis; a Redis that has not answered by then counts as unreachable. */
        private Duration timeout = Duration.ofMillis(500);

        public String getRedisDownStatus() {
            return redisDownStatus;
        }

        public void setRedisDownStatus(String redisDownStatus) {
            this.redisDownStatus = redisDownStatus;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /** How values are serialized in Redis. */
    public static class Serialization {

        /**
         * Package prefixes whose classes may be read back from Redis, besides the application's
         * own packages and the built-in JDK value types.
         */
        private List<String> allowedPackages = new ArrayList<>();

        public List<String> getAllowedPackages() {
            return allowedPackages;
        }

        public void setAllowedPackages(List<String> allowedPackages) {
            this.allowedPackages = allowedPackages;
        }
    }

    /** Cross-instance L1 invalidation over Redis pub/sub. */
    public static class Invalidation {

        /** Whether puts, evicts and clears drop the other instances' L1 copies over Redis pub/sub. */
        private boolean enabled = true;

        /** Pub/sub channel; defaults to '<key-prefix>:invalidation'. Instances sharing caches must share it. */
        private @Nullable String channel;

        /** How often each instance publishes a heartbeat and checks that its own heartbeats come back. */
        private Duration heartbeatInterval = Duration.ofMillis(500);

        /**
         * Longest an instance may serve an L1 value after another instance replaced it, when
         * invalidation messages are lost (disconnects, half-open connections, a silent peer).
         * At least twice the heartbeat interval.
         */
        private Duration maxStaleness = Duration.ofSeconds(2);

        /** Longest life of an L1 entry written while the channel is unhealthy; 0 keeps L1 unused then. */
        private Duration degradedL1Ttl = Duration.ofSeconds(1);

        /** Most keys one invalidation message carries; larger batches are split. */
        private int maxKeysPerMessage = 500;

        /**
         * Shortest time between two invalidation messages; changes made meanwhile travel together.
         * 0 sends each change at once unless two messages await Redis's reply, when changes travel
         * together in the next message.
         */
        private Duration batchWindow = Duration.ZERO;

        /** Client-side tracking: writes made to the caches' keys outside the library, and Redis expiring or evicting them. */
        private final Tracking tracking = new Tracking();

        public Tracking getTracking() {
            return tracking;
        }

        public Duration getBatchWindow() {
            return batchWindow;
        }

        public void setBatchWindow(Duration batchWindow) {
            this.batchWindow = batchWindow;
        }

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable String getChannel() {
            return channel;
        }

        public void setChannel(@Nullable String channel) {
            this.channel = channel;
        }

        public Duration getHeartbeatInterval() {
            return heartbeatInterval;
        }

        public void setHeartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
        }

        public Duration getMaxStaleness() {
            return maxStaleness;
        }

        public void setMaxStaleness(Duration maxStaleness) {
            this.maxStaleness = maxStaleness;
        }

        public Duration getDegradedL1Ttl() {
            return degradedL1Ttl;
        }

        public void setDegradedL1Ttl(Duration degradedL1Ttl) {
            this.degradedL1Ttl = degradedL1Ttl;
        }

        public int getMaxKeysPerMessage() {
            return maxKeysPerMessage;
        }

        public void setMaxKeysPerMessage(int maxKeysPerMessage) {
            this.maxKeysPerMessage = maxKeysPerMessage;
        }
    }

    /**
     * RESP3 client-side tracking: Redis tells every instance which of the caches' keys changed,
     * whoever changed them, so that writes made outside the library drop the L1 copies at once.
     */
    public static class Tracking {

        /**
         * Whether each instance keeps a tracking connection per Redis master (needs Redis 6 or later,
         * RESP3 and the CLIENT command; a server without them is reported once and left alone).
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }
}
