package io.github.multitiercache.core;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;

/**
 * The immutable configuration of one tiered cache.
 *
 * <p>Instances are built from {@link #defaults()} with {@link #toBuilder()}; the constructor
 * validates every component, so an instance that exists is always usable:
 * <pre>{@code
 * CacheSettings settings = CacheSettings.defaults().toBuilder()
 *         .l1Ttl(Duration.ofSeconds(30))
 *         .l2Ttl(Duration.ofMinutes(10))
 *         .build();
 * }</pre>
 *
 * <p>Each setting is also an {@link CacheOption option}, a constant of this class such as
 * {@link #L1_TTL}, that can be set by name ({@link Builder#set(CacheOption, Object)}) or in
 * partial layers ({@link CacheOptions}); {@link #options()} lists them all. Properties
 * ({@code multi-tier-cache.defaults.l1.ttl}) and the {@code @MultiTierCacheable} attributes
 * ({@code l1Ttl}) are mapped onto these options.
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

    // The options of a cache, in the order of the docs. Adding an option: a component of this
    // record or of a sub-record (with its default and validation there), one line here, and its
    // argument in Builder#build(); then the property and the @MultiTierCacheable attribute named
    // after it (tests fail until both exist, or until the option is excluded from the annotation).

    private static final CacheOption.Part<CacheSettings> TIERS = new CacheOption.Part<>("", settings -> settings);
    private static final CacheOption.Part<StampedeSettings> STAMPEDE = new CacheOption.Part<>("stampede.",
            CacheSettings::stampede);
    private static final CacheOption.Part<RefreshSettings> REFRESH = new CacheOption.Part<>("refresh.",
            CacheSettings::refresh);
    private static final CacheOption.Part<FailSafeSettings> FAIL_SAFE = new CacheOption.Part<>("fail-safe.",
            CacheSettings::failSafe);
    private static final CacheOption.Part<HotKeySettings> HOT_KEYS = new CacheOption.Part<>("hot-keys.",
            CacheSettings::hotKeys);

    /** {@code l1.enabled}: see {@link #l1Enabled()}. */
    public static final CacheOption<Boolean> L1_ENABLED = TIERS.option("l1.enabled", Boolean.class,
            CacheSettings::l1Enabled);
    /** {@code l1.maximum-size}: see {@link #l1MaximumSize()}. */
    public static final CacheOption<Long> L1_MAXIMUM_SIZE = TIERS.option("l1.maximum-size", Long.class,
            CacheSettings::l1MaximumSize);
    /** {@code l1.ttl}: see {@link #l1Ttl()}. */
    public static final CacheOption<Duration> L1_TTL = TIERS.option("l1.ttl", Duration.class, CacheSettings::l1Ttl);
    /** {@code l2.enabled}: see {@link #l2Enabled()}. */
    public static final CacheOption<Boolean> L2_ENABLED = TIERS.option("l2.enabled", Boolean.class,
            CacheSettings::l2Enabled);
    /** {@code l2.ttl}: see {@link #l2Ttl()}. */
    public static final CacheOption<Duration> L2_TTL = TIERS.option("l2.ttl", Duration.class, CacheSettings::l2Ttl);
    /** {@code ttl-jitter}: see {@link #ttlJitter()}. */
    public static final CacheOption<Double> TTL_JITTER = TIERS.option("ttl-jitter", Double.class,
            CacheSettings::ttlJitter);
    /** {@code cache-null-values}: see {@link #cacheNullValues()}. */
    public static final CacheOption<Boolean> CACHE_NULL_VALUES = TIERS.option("cache-null-values", Boolean.class,
            CacheSettings::cacheNullValues);
    /** {@code null-ttl}: see {@link #nullTtl()}. */
    public static final CacheOption<Duration> NULL_TTL = TIERS.option("null-ttl", Duration.class,
            CacheSettings::nullTtl);
    /** {@code compression-threshold}, in bytes: see {@link #compressionThreshold()}. */
    public static final CacheOption<Integer> COMPRESSION_THRESHOLD = TIERS.option("compression-threshold",
            Integer.class, CacheSettings::compressionThreshold);
    /** {@code max-value-size}, in bytes: see {@link #maxValueSize()}. */
    public static final CacheOption<Integer> MAX_VALUE_SIZE = TIERS.option("max-value-size", Integer.class,
            CacheSettings::maxValueSize);

    /** {@code stampede.enabled}: see {@link StampedeSettings#enabled()}. */
    public static final CacheOption<Boolean> STAMPEDE_ENABLED = STAMPEDE.option("enabled", Boolean.class,
            StampedeSettings::enabled);
    /** {@code stampede.lease}: see {@link StampedeSettings#lease()}. */
    public static final CacheOption<Duration> STAMPEDE_LEASE = STAMPEDE.option("lease", Duration.class,
            StampedeSettings::lease);
    /** {@code stampede.max-wait}: see {@link StampedeSettings#maxWait()}. */
    public static final CacheOption<Duration> STAMPEDE_MAX_WAIT = STAMPEDE.option("max-wait", Duration.class,
            StampedeSettings::maxWait);
    /** {@code stampede.on-timeout}: see {@link StampedeSettings#onTimeout()}. */
    public static final CacheOption<StampedeSettings.OnTimeout> STAMPEDE_ON_TIMEOUT = STAMPEDE.option("on-timeout",
            StampedeSettings.OnTimeout.class, StampedeSettings::onTimeout);

    /** {@code refresh.mode}: see {@link RefreshSettings#mode()}. */
    public static final CacheOption<RefreshSettings.Mode> REFRESH_MODE = REFRESH.option("mode",
            RefreshSettings.Mode.class, RefreshSettings::mode);
    /** {@code refresh.ahead-fraction}: see {@link RefreshSettings#aheadFraction()}. */
    public static final CacheOption<Double> REFRESH_AHEAD_FRACTION = REFRESH.option("ahead-fraction", Double.class,
            RefreshSettings::aheadFraction);
    /** {@code refresh.xfetch-beta}: see {@link RefreshSettings#xfetchBeta()}. */
    public static final CacheOption<Double> REFRESH_XFETCH_BETA = REFRESH.option("xfetch-beta", Double.class,
            RefreshSettings::xfetchBeta);

    /** {@code fail-safe.enabled}: see {@link FailSafeSettings#enabled()}. */
    public static final CacheOption<Boolean> FAIL_SAFE_ENABLED = FAIL_SAFE.option("enabled", Boolean.class,
            FailSafeSettings::enabled);
    /** {@code fail-safe.max-stale}: see {@link FailSafeSettings#maxStale()}. */
    public static final CacheOption<Duration> FAIL_SAFE_MAX_STALE = FAIL_SAFE.option("max-stale", Duration.class,
            FailSafeSettings::maxStale);
    /** {@code fail-safe.soft-timeout}: see {@link FailSafeSettings#softTimeout()}. */
    public static final CacheOption<Duration> FAIL_SAFE_SOFT_TIMEOUT = FAIL_SAFE.option("soft-timeout", Duration.class,
            FailSafeSettings::softTimeout);
    /** {@code fail-safe.hard-timeout}: see {@link FailSafeSettings#hardTimeout()}. */
    public static final CacheOption<Duration> FAIL_SAFE_HARD_TIMEOUT = FAIL_SAFE.option("hard-timeout", Duration.class,
            FailSafeSettings::hardTimeout);

    /** {@code hot-keys.enabled}: see {@link HotKeySettings#enabled()}. */
    public static final CacheOption<Boolean> HOT_KEYS_ENABLED = HOT_KEYS.option("enabled", Boolean.class,
            HotKeySettings::enabled);
    /** {@code hot-keys.window}: see {@link HotKeySettings#window()}. */
    public static final CacheOption<Duration> HOT_KEYS_WINDOW = HOT_KEYS.option("window", Duration.class,
            HotKeySettings::window);
    /** {@code hot-keys.min-reads-per-second}: see {@link HotKeySettings#minReadsPerSecond()}. */
    public static final CacheOption<Double> HOT_KEYS_MIN_READS_PER_SECOND = HOT_KEYS.option("min-reads-per-second",
            Double.class, HotKeySettings::minReadsPerSecond);
    /** {@code hot-keys.max-hot-keys}: see {@link HotKeySettings#maxHotKeys()}. */
    public static final CacheOption<Integer> HOT_KEYS_MAX_HOT_KEYS = HOT_KEYS.option("max-hot-keys", Integer.class,
            HotKeySettings::maxHotKeys);
    /** {@code hot-keys.sketch-width}: see {@link HotKeySettings#sketchWidth()}. */
    public static final CacheOption<Integer> HOT_KEYS_SKETCH_WIDTH = HOT_KEYS.option("sketch-width", Integer.class,
            HotKeySettings::sketchWidth);
    /** {@code hot-keys.l1-ttl}: see {@link HotKeySettings#l1Ttl()}. */
    public static final CacheOption<Duration> HOT_KEYS_L1_TTL = HOT_KEYS.option("l1-ttl", Duration.class,
            HotKeySettings::l1Ttl);
    /** {@code hot-keys.replicas}: see {@link HotKeySettings#replicas()}. */
    public static final CacheOption<Integer> HOT_KEYS_REPLICAS = HOT_KEYS.option("replicas", Integer.class,
            HotKeySettings::replicas);

    private static final List<CacheOption.Part<?>> PARTS = List.of(TIERS, STAMPEDE, REFRESH, FAIL_SAFE, HOT_KEYS);

    private static final List<CacheOption<?>> OPTIONS = PARTS.stream()
            .<CacheOption<?>>flatMap(part -> part.options().stream()).toList();

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

    /**
     * Every option of a cache, in a fixed order: the tiers, then stampede, refresh-ahead,
     * fail-safe and hot keys.
     * @return the options, unmodifiable
     */
    public static List<CacheOption<?>> options() {
        return OPTIONS;
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

    /**
     * Builds {@link CacheSettings}; obtained from {@link CacheSettings#toBuilder()}. Values are
     * validated by {@link #build()}, so that options may be set in any order.
     */
    public static final class Builder {

        private final Map<CacheOption<?>, Object> values = new HashMap<>();

        private Builder(CacheSettings from) {
            for (CacheOption<?> option : OPTIONS) {
                values.put(option, option.get(from));
            }
        }

        /**
         * Sets one option.
         * @param option the option
         * @param value its value, validated by {@link #build()}
         * @param <T> the option's type
         * @return this builder
         */
        public <T> Builder set(CacheOption<T> option, T value) {
            values.put(option, option.cast(value));
            return this;
        }

        /** @param enabled see {@link CacheSettings#l1Enabled()} @return this builder */
        public Builder l1Enabled(boolean enabled) {
            return set(L1_ENABLED, enabled);
        }

        /** @param maximumSize see {@link CacheSettings#l1MaximumSize()} @return this builder */
        public Builder l1MaximumSize(long maximumSize) {
            return set(L1_MAXIMUM_SIZE, maximumSize);
        }

        /** @param ttl see {@link CacheSettings#l1Ttl()} @return this builder */
        public Builder l1Ttl(Duration ttl) {
            return set(L1_TTL, ttl);
        }

        /** @param enabled see {@link CacheSettings#l2Enabled()} @return this builder */
        public Builder l2Enabled(boolean enabled) {
            return set(L2_ENABLED, enabled);
        }

        /** @param ttl see {@link CacheSettings#l2Ttl()} @return this builder */
        public Builder l2Ttl(Duration ttl) {
            return set(L2_TTL, ttl);
        }

        /** @param jitter see {@link CacheSettings#ttlJitter()} @return this builder */
        public Builder ttlJitter(double jitter) {
            return set(TTL_JITTER, jitter);
        }

        /** @param cache see {@link CacheSettings#cacheNullValues()} @return this builder */
        public Builder cacheNullValues(boolean cache) {
            return set(CACHE_NULL_VALUES, cache);
        }

        /** @param ttl see {@link CacheSettings#nullTtl()} @return this builder */
        public Builder nullTtl(Duration ttl) {
            return set(NULL_TTL, ttl);
        }

        /** @param bytes see {@link CacheSettings#compressionThreshold()} @return this builder */
        public Builder compressionThreshold(int bytes) {
            return set(COMPRESSION_THRESHOLD, bytes);
        }

        /** @param bytes see {@link CacheSettings#maxValueSize()} @return this builder */
        public Builder maxValueSize(int bytes) {
            return set(MAX_VALUE_SIZE, bytes);
        }

        /** @param stampede see {@link CacheSettings#stampede()} @return this builder */
        public Builder stampede(StampedeSettings stampede) {
            return setPart(STAMPEDE, stampede);
        }

        /** @param refresh see {@link CacheSettings#refresh()} @return this builder */
        public Builder refresh(RefreshSettings refresh) {
            return setPart(REFRESH, refresh);
        }

        /** @param failSafe see {@link CacheSettings#failSafe()} @return this builder */
        public Builder failSafe(FailSafeSettings failSafe) {
            return setPart(FAIL_SAFE, failSafe);
        }

        /** @param hotKeys see {@link CacheSettings#hotKeys()} @return this builder */
        public Builder hotKeys(HotKeySettings hotKeys) {
            return setPart(HOT_KEYS, hotKeys);
        }

        /**
         * Applies every option that {@code options} sets, leaving the others as they are.
         * @param options the options to apply
         * @return this builder
         */
        public Builder apply(CacheOptions options) {
            values.putAll(options.values());
            return this;
        }

        /**
         * Builds the settings.
         * @return the settings
         * @throws IllegalArgumentException when a value is invalid, naming the option
         */
        public CacheSettings build() {
            return new CacheSettings(get(L1_ENABLED), get(L1_MAXIMUM_SIZE), get(L1_TTL), get(L2_ENABLED),
                    get(L2_TTL), get(TTL_JITTER), get(CACHE_NULL_VALUES), get(NULL_TTL), get(COMPRESSION_THRESHOLD),
                    get(MAX_VALUE_SIZE),
                    new StampedeSettings(get(STAMPEDE_ENABLED), get(STAMPEDE_LEASE), get(STAMPEDE_MAX_WAIT),
                            get(STAMPEDE_ON_TIMEOUT)),
                    new RefreshSettings(get(REFRESH_MODE), get(REFRESH_AHEAD_FRACTION), get(REFRESH_XFETCH_BETA)),
                    new FailSafeSettings(get(FAIL_SAFE_ENABLED), get(FAIL_SAFE_MAX_STALE), get(FAIL_SAFE_SOFT_TIMEOUT),
                            get(FAIL_SAFE_HARD_TIMEOUT)),
                    new HotKeySettings(get(HOT_KEYS_ENABLED), get(HOT_KEYS_WINDOW), get(HOT_KEYS_MIN_READS_PER_SECOND),
                            get(HOT_KEYS_MAX_HOT_KEYS), get(HOT_KEYS_SKETCH_WIDTH), get(HOT_KEYS_L1_TTL),
                            get(HOT_KEYS_REPLICAS)));
        }

        private <P> Builder setPart(CacheOption.Part<P> part, P value) {
            Objects.requireNonNull(value, "value");
            for (CacheOption<?> option : part.options()) {
                values.put(option, option.readPart(value));
            }
            return this;
        }

        private <T> T get(CacheOption<T> option) {
            // Every option has a value from the defaults on, so a missing one is a bug here.
            return Objects.requireNonNull(option.type().cast(values.get(option)), option.name());
        }
    }
}
