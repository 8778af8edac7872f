package io.github.multitiercache.core;

import java.time.Duration;
import java.util.Objects;

import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.jspecify.annotations.Nullable;

/**
 * The immutable configuration of one tiered cache.
 *
 * <p>Instances are built from {@link #defaults()} with {@link #toBuilder()}; every setter of the
 * {@link Builder} validates its argument, so an instance that exists is always usable:
 * <pre>{@code
 * CacheSettings settings = CacheSettings.defaults().toBuilder()
 *         .l1Ttl(Duration.ofSeconds(30))
 *         .l2Ttl(Duration.ofMinutes(10))
 *         .build();
 * }</pre>
 *
 * @param l1Enabled whether values are kept in the in-process tier
 * @param l1MaximumSize the maximum number of entries the in-process tier holds
 * @param l1Ttl how long a value lives in the in-process tier, before jitter; never longer than
 *        the value's remaining life in Redis
 * @param l2Enabled whether values are kept in Redis
 * @param l2Ttl how long a value lives in Redis, before jitter
 * @param ttlJitter the fraction by which every TTL is spread uniformly, in {@code [0, 1)}: 0.1
 *        writes a 10-minute TTL as anything between 9 and 11 minutes
 * @param cacheNullValues whether a {@code null} result is cached
 * @param nullTtl how long a cached {@code null} lives in either tier, before jitter
 * @param compressionThreshold the encoded size in bytes above which values are compressed in
 *        Redis; 0 disables compression
 * @param maxValueSize the largest encoded value in bytes written to Redis; larger values are kept
 *        in L1 only and logged; 0 means no limit
 * @param stampede how concurrent misses of a key across instances share one load
 * @param refresh when values are refreshed in the background before they expire
 * @param failSafe whether expired values are served when the loader fails or is slow
 * @param hotKeys how hot keys are found, kept in L1 and replicated in Redis
 */
public record CacheSettings(
        boolean l1Enabled,
        long l1MaximumSize,
        Duration l1Ttl,
        boolean l2Enabled,
        Duration l2Ttl,
        double ttlJitter,
        boolean cacheNullValues,
        Duration nullTtl,
        int compressionThreshold,
        int maxValueSize,
        StampedeSettings stampede,
        RefreshSettings refresh,
        FailSafeSettings failSafe,
        HotKeySettings hotKeys) {

    /** The smallest non-zero {@link #maxValueSize()}: an entry's header alone takes a few dozen bytes. */
    public static final int MIN_MAX_VALUE_SIZE = 64;

    private static final CacheSettings DEFAULTS = new CacheSettings(true, 10_000, Duration.ofMinutes(1),
            true, Duration.ofMinutes(10), 0.1, true, Duration.ofSeconds(30), 16 * 1024, 8 * 1024 * 1024,
            StampedeSettings.defaults(), RefreshSettings.defaults(), FailSafeSettings.defaults(),
            HotKeySettings.defaults());

    /**
     * Validates every component.
     * @throws IllegalArgumentException naming the first invalid component
     */
    public CacheSettings {
        Objects.requireNonNull(l1Ttl, "l1Ttl");
        Objects.requireNonNull(l2Ttl, "l2Ttl");
        Objects.requireNonNull(nullTtl, "nullTtl");
        Objects.requireNonNull(stampede, "stampede");
        Objects.requireNonNull(refresh, "refresh");
        Objects.requireNonNull(failSafe, "failSafe");
        Objects.requireNonNull(hotKeys, "hotKeys");
        require(l1MaximumSize > 0, "l1.maximum-size must be positive but was " + l1MaximumSize);
        requirePositive(l1Ttl, "l1.ttl");
        requirePositive(l2Ttl, "l2.ttl");
        requirePositive(nullTtl, "null-ttl");
        require(ttlJitter >= 0 && ttlJitter < 1, "ttl-jitter must be in [0, 1) but was " + ttlJitter);
        require(compressionThreshold >= 0, "compression-threshold must not be negative but was " + compressionThreshold);
        require(maxValueSize == 0 || maxValueSize >= MIN_MAX_VALUE_SIZE,
                "max-value-size must be 0 (no limit) or at least " + MIN_MAX_VALUE_SIZE + " bytes but was " + maxValueSize);
        require(l1Enabled || l2Enabled, "at least one of l1.enabled and l2.enabled must be true");
    }

    /**
     * The built-in defaults: L1 on (10,000 entries, 1 minute), L2 on (10 minutes), ±10 % jitter,
     * nulls cached for 30 seconds, compression above 16 KiB, values up to 8 MiB, stampede
     * protection on ({@link StampedeSettings#defaults()}), no refresh-ahead, fail-safe off, hot keys
     * found, pinned and replicated ({@link HotKeySettings#defaults()}).
     * @return the defaults
     */
    public static CacheSettings defaults() {
        return DEFAULTS;
    }

    /**
     * A builder initialised with this instance's values.
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    private static void requirePositive(Duration duration, String name) {
        require(!duration.isNegative() && !duration.isZero() && duration.toMillis() > 0,
                name + " must be at least 1ms but was " + duration);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Builds {@link CacheSettings}; obtained from {@link CacheSettings#toBuilder()}. */
    public static final class Builder {

        private boolean l1Enabled;
        private long l1MaximumSize;
        private Duration l1Ttl;
        private boolean l2Enabled;
        private Duration l2Ttl;
        private double ttlJitter;
        private boolean cacheNullValues;
        private Duration nullTtl;
        private int compressionThreshold;
        private int maxValueSize;
        private StampedeSettings stampede;
        private RefreshSettings refresh;
        private FailSafeSettings failSafe;
        private HotKeySettings hotKeys;

        private Builder(CacheSettings from) {
            this.l1Enabled = from.l1Enabled;
            this.l1MaximumSize = from.l1MaximumSize;
            this.l1Ttl = from.l1Ttl;
            this.l2Enabled = from.l2Enabled;
            this.l2Ttl = from.l2Ttl;
            this.ttlJitter = from.ttlJitter;
            this.cacheNullValues = from.cacheNullValues;
            this.nullTtl = from.nullTtl;
            this.compressionThreshold = from.compressionThreshold;
            this.maxValueSize = from.maxValueSize;
            this.stampede = from.stampede;
            this.refresh = from.refresh;
            this.failSafe = from.failSafe;
            this.hotKeys = from.hotKeys;
        }

        /** @param enabled see {@link CacheSettings#l1Enabled()} @return this builder */
        public Builder l1Enabled(boolean enabled) {
            this.l1Enabled = enabled;
            return this;
        }

        /** @param maximumSize see {@link CacheSettings#l1MaximumSize()} @return this builder */
        public Builder l1MaximumSize(long maximumSize) {
            this.l1MaximumSize = maximumSize;
            return this;
        }

        /** @param ttl see {@link CacheSettings#l1Ttl()} @return this builder */
        public Builder l1Ttl(Duration ttl) {
            this.l1Ttl = ttl;
            return this;
        }

        /** @param enabled see {@link CacheSettings#l2Enabled()} @return this builder */
        public Builder l2Enabled(boolean enabled) {
            this.l2Enabled = enabled;
            return this;
        }

        /** @param ttl see {@link CacheSettings#l2Ttl()} @return this builder */
        public Builder l2Ttl(Duration ttl) {
            this.l2Ttl = ttl;
            return this;
        }

        /** @param jitter see {@link CacheSettings#ttlJitter()} @return this builder */
        public Builder ttlJitter(double jitter) {
            this.ttlJitter = jitter;
            return this;
        }

        /** @param cache see {@link CacheSettings#cacheNullValues()} @return this builder */
        public Builder cacheNullValues(boolean cache) {
            this.cacheNullValues = cache;
            return this;
        }

        /** @param ttl see {@link CacheSettings#nullTtl()} @return this builder */
        public Builder nullTtl(Duration ttl) {
            this.nullTtl = ttl;
            return this;
        }

        /** @param bytes see {@link CacheSettings#compressionThreshold()} @return this builder */
        public Builder compressionThreshold(int bytes) {
            this.compressionThreshold = bytes;
            return this;
        }

        /** @param bytes see {@link CacheSettings#maxValueSize()} @return this builder */
        public Builder maxValueSize(int bytes) {
            this.maxValueSize = bytes;
            return this;
        }

        /** @param stampede see {@link CacheSettings#stampede()} @return this builder */
        public Builder stampede(StampedeSettings stampede) {
            this.stampede = Objects.requireNonNull(stampede, "stampede");
            return this;
        }

        /** @param refresh see {@link CacheSettings#refresh()} @return this builder */
        public Builder refresh(RefreshSettings refresh) {
            this.refresh = Objects.requireNonNull(refresh, "refresh");
            return this;
        }

        /** @param failSafe see {@link CacheSettings#failSafe()} @return this builder */
        public Builder failSafe(FailSafeSettings failSafe) {
            this.failSafe = Objects.requireNonNull(failSafe, "failSafe");
            return this;
        }

        /** @param hotKeys see {@link CacheSettings#hotKeys()} @return this builder */
        public Builder hotKeys(HotKeySettings hotKeys) {
            this.hotKeys = Objects.requireNonNull(hotKeys, "hotKeys");
            return this;
        }

        /**
         * Applies every option that {@code options} sets, leaving the others as they are.
         * @param options the options to apply
         * @return this builder
         */
        public Builder apply(CacheOptions options) {
            if (options.l1Enabled() != null) l1Enabled(options.l1Enabled());
            if (options.l1MaximumSize() != null) l1MaximumSize(options.l1MaximumSize());
            if (options.l1Ttl() != null) l1Ttl(options.l1Ttl());
            if (options.l2Enabled() != null) l2Enabled(options.l2Enabled());
            if (options.l2Ttl() != null) l2Ttl(options.l2Ttl());
            if (options.ttlJitter() != null) ttlJitter(options.ttlJitter());
            if (options.cacheNullValues() != null) cacheNullValues(options.cacheNullValues());
            if (options.nullTtl() != null) nullTtl(options.nullTtl());
            if (options.compressionThreshold() != null) compressionThreshold(options.compressionThreshold());
            if (options.maxValueSize() != null) maxValueSize(options.maxValueSize());
            stampede = new StampedeSettings(
                    or(options.stampedeEnabled(), stampede.enabled()),
                    or(options.stampedeLease(), stampede.lease()),
                    or(options.stampedeMaxWait(), stampede.maxWait()),
                    or(options.stampedeOnTimeout(), stampede.onTimeout()));
            refresh = new RefreshSettings(
                    or(options.refreshMode(), refresh.mode()),
                    or(options.refreshAheadFraction(), refresh.aheadFraction()),
                    or(options.refreshXfetchBeta(), refresh.xfetchBeta()));
            failSafe = new FailSafeSettings(
                    or(options.failSafeEnabled(), failSafe.enabled()),
                    or(options.failSafeMaxStale(), failSafe.maxStale()),
                    or(options.failSafeSoftTimeout(), failSafe.softTimeout()),
                    or(options.failSafeHardTimeout(), failSafe.hardTimeout()));
            hotKeys = new HotKeySettings(
                    or(options.hotKeysEnabled(), hotKeys.enabled()),
                    or(options.hotKeysWindow(), hotKeys.window()),
                    or(options.hotKeysMinReadsPerSecond(), hotKeys.minReadsPerSecond()),
                    or(options.hotKeysMaxHotKeys(), hotKeys.maxHotKeys()),
                    or(options.hotKeysSketchWidth(), hotKeys.sketchWidth()),
                    or(options.hotKeysL1Ttl(), hotKeys.l1Ttl()),
                    or(options.hotKeysReplicas(), hotKeys.replicas()));
            return this;
        }

        /**
         * Builds the settings.
         * @return the settings
         * @throws IllegalArgumentException when a value is invalid
         */
        public CacheSettings build() {
            return new CacheSettings(l1Enabled, l1MaximumSize, l1Ttl, l2Enabled, l2Ttl, ttlJitter,
                    cacheNullValues, nullTtl, compressionThreshold, maxValueSize, stampede, refresh, failSafe, hotKeys);
        }

        private static <T> T or(@Nullable T value, T fallback) {
            return (value != null) ? value : fallback;
        }
    }
}
