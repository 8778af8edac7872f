package io.github.multitiercache.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.github.multitiercache.core.hotkey.HotKeySettings;
import io.github.multitiercache.core.stampede.RefreshSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.jspecify.annotations.Nullable;

/**
 * A partial set of cache options: every {@code null} component means "not set here".
 *
 * <p>Options come in layers (built-in defaults, configured defaults, an annotation, configuration
 * of one cache); each layer is a {@code CacheOptions} applied over the previous one with
 * {@link CacheSettings.Builder#apply(CacheOptions)}.
 *
 * @param l1Enabled see {@link CacheSettings#l1Enabled()}
 * @param l1MaximumSize see {@link CacheSettings#l1MaximumSize()}
 * @param l1Ttl see {@link CacheSettings#l1Ttl()}
 * @param l2Enabled see {@link CacheSettings#l2Enabled()}
 * @param l2Ttl see {@link CacheSettings#l2Ttl()}
 * @param ttlJitter see {@link CacheSettings#ttlJitter()}
 * @param cacheNullValues see {@link CacheSettings#cacheNullValues()}
 * @param nullTtl see {@link CacheSettings#nullTtl()}
 * @param compressionThreshold see {@link CacheSettings#compressionThreshold()}
 * @param maxValueSize see {@link CacheSettings#maxValueSize()}
 * @param stampedeEnabled see {@link StampedeSettings#enabled()}
 * @param stampedeLease see {@link StampedeSettings#lease()}
 * @param stampedeMaxWait see {@link StampedeSettings#maxWait()}
 * @param stampedeOnTimeout see {@link StampedeSettings#onTimeout()}
 * @param refreshMode see {@link RefreshSettings#mode()}
 * @param refreshAheadFraction see {@link RefreshSettings#aheadFraction()}
 * @param refreshXfetchBeta see {@link RefreshSettings#xfetchBeta()}
 * @param failSafeEnabled see {@link io.github.multitiercache.core.stampede.FailSafeSettings#enabled()}
 * @param failSafeMaxStale see {@link io.github.multitiercache.core.stampede.FailSafeSettings#maxStale()}
 * @param failSafeSoftTimeout see {@link io.github.multitiercache.core.stampede.FailSafeSettings#softTimeout()}
 * @param failSafeHardTimeout see {@link io.github.multitiercache.core.stampede.FailSafeSettings#hardTimeout()}
 * @param hotKeysEnabled see {@link HotKeySettings#enabled()}
 * @param hotKeysWindow see {@link HotKeySettings#window()}
 * @param hotKeysMinReadsPerSecond see {@link HotKeySettings#minReadsPerSecond()}
 * @param hotKeysMaxHotKeys see {@link HotKeySettings#maxHotKeys()}
 * @param hotKeysSketchWidth see {@link HotKeySettings#sketchWidth()}
 * @param hotKeysL1Ttl see {@link HotKeySettings#l1Ttl()}
 * @param hotKeysReplicas see {@link HotKeySettings#replicas()}
 */
public record CacheOptions(
        @Nullable Boolean l1Enabled,
        @Nullable Long l1MaximumSize,
        @Nullable Duration l1Ttl,
        @Nullable Boolean l2Enabled,
        @Nullable Duration l2Ttl,
        @Nullable Double ttlJitter,
        @Nullable Boolean cacheNullValues,
        @Nullable Duration nullTtl,
        @Nullable Integer compressionThreshold,
        @Nullable Integer maxValueSize,
        @Nullable Boolean stampedeEnabled,
        @Nullable Duration stampedeLease,
        @Nullable Duration stampedeMaxWait,
        StampedeSettings.@Nullable OnTimeout stampedeOnTimeout,
        RefreshSettings.@Nullable Mode refreshMode,
        @Nullable Double refreshAheadFraction,
        @Nullable Double refreshXfetchBeta,
        @Nullable Boolean failSafeEnabled,
        @Nullable Duration failSafeMaxStale,
        @Nullable Duration failSafeSoftTimeout,
        @Nullable Duration failSafeHardTimeout,
        @Nullable Boolean hotKeysEnabled,
        @Nullable Duration hotKeysWindow,
        @Nullable Double hotKeysMinReadsPerSecond,
        @Nullable Integer hotKeysMaxHotKeys,
        @Nullable Integer hotKeysSketchWidth,
        @Nullable Duration hotKeysL1Ttl,
        @Nullable Integer hotKeysReplicas) {

    private static final CacheOptions NONE = new CacheOptions(null, null, null, null, null, null, null, null, null, null);

    /**
     * Options of the tiers only, leaving stampede, refresh-ahead, fail-safe and hot keys unset.
     * @param l1Enabled see {@link CacheSettings#l1Enabled()}
     * @param l1MaximumSize see {@link CacheSettings#l1MaximumSize()}
     * @param l1Ttl see {@link CacheSettings#l1Ttl()}
     * @param l2Enabled see {@link CacheSettings#l2Enabled()}
     * @param l2Ttl see {@link CacheSettings#l2Ttl()}
     * @param ttlJitter see {@link CacheSettings#ttlJitter()}
     * @param cacheNullValues see {@link CacheSettings#cacheNullValues()}
     * @param nullTtl see {@link CacheSettings#nullTtl()}
     * @param compressionThreshold see {@link CacheSettings#compressionThreshold()}
     * @param maxValueSize see {@link CacheSettings#maxValueSize()}
     */
    public CacheOptions(@Nullable Boolean l1Enabled, @Nullable Long l1MaximumSize, @Nullable Duration l1Ttl,
            @Nullable Boolean l2Enabled, @Nullable Duration l2Ttl, @Nullable Double ttlJitter,
            @Nullable Boolean cacheNullValues, @Nullable Duration nullTtl, @Nullable Integer compressionThreshold,
            @Nullable Integer maxValueSize) {
        this(l1Enabled, l1MaximumSize, l1Ttl, l2Enabled, l2Ttl, ttlJitter, cacheNullValues, nullTtl,
                compressionThreshold, maxValueSize, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null);
    }

    /**
     * Options that set nothing.
     * @return the empty options
     */
    public static CacheOptions none() {
        return NONE;
    }

    /**
     * Whether no option is set.
     * @return {@code true} when every component is {@code null}
     */
    public boolean isEmpty() {
        return equals(NONE);
    }

    /**
     * Names the options that both this and {@code other} set, to different values.
     * @param other the options to compare with
     * @return descriptions such as {@code "l1.ttl (PT30S vs PT1M)"}; empty when compatible
     */
    public List<String> conflictsWith(CacheOptions other) {
        List<String> conflicts = new ArrayList<>();
        conflict(conflicts, "l1.enabled", l1Enabled, other.l1Enabled);
        conflict(conflicts, "l1.maximum-size", l1MaximumSize, other.l1MaximumSize);
        conflict(conflicts, "l1.ttl", l1Ttl, other.l1Ttl);
        conflict(conflicts, "l2.enabled", l2Enabled, other.l2Enabled);
        conflict(conflicts, "l2.ttl", l2Ttl, other.l2Ttl);
        conflict(conflicts, "ttl-jitter", ttlJitter, other.ttlJitter);
        conflict(conflicts, "cache-null-values", cacheNullValues, other.cacheNullValues);
        conflict(conflicts, "null-ttl", nullTtl, other.nullTtl);
        conflict(conflicts, "compression-threshold", compressionThreshold, other.compressionThreshold);
        conflict(conflicts, "max-value-size", maxValueSize, other.maxValueSize);
        conflict(conflicts, "stampede.enabled", stampedeEnabled, other.stampedeEnabled);
        conflict(conflicts, "stampede.lease", stampedeLease, other.stampedeLease);
        conflict(conflicts, "stampede.max-wait", stampedeMaxWait, other.stampedeMaxWait);
        conflict(conflicts, "stampede.on-timeout", stampedeOnTimeout, other.stampedeOnTimeout);
        conflict(conflicts, "refresh.mode", refreshMode, other.refreshMode);
        conflict(conflicts, "refresh.ahead-fraction", refreshAheadFraction, other.refreshAheadFraction);
        conflict(conflicts, "refresh.xfetch-beta", refreshXfetchBeta, other.refreshXfetchBeta);
        conflict(conflicts, "fail-safe.enabled", failSafeEnabled, other.failSafeEnabled);
        conflict(conflicts, "fail-safe.max-stale", failSafeMaxStale, other.failSafeMaxStale);
        conflict(conflicts, "fail-safe.soft-timeout", failSafeSoftTimeout, other.failSafeSoftTimeout);
        conflict(conflicts, "fail-safe.hard-timeout", failSafeHardTimeout, other.failSafeHardTimeout);
        conflict(conflicts, "hot-keys.enabled", hotKeysEnabled, other.hotKeysEnabled);
        conflict(conflicts, "hot-keys.window", hotKeysWindow, other.hotKeysWindow);
        conflict(conflicts, "hot-keys.min-reads-per-second", hotKeysMinReadsPerSecond, other.hotKeysMinReadsPerSecond);
        conflict(conflicts, "hot-keys.max-hot-keys", hotKeysMaxHotKeys, other.hotKeysMaxHotKeys);
        conflict(conflicts, "hot-keys.sketch-width", hotKeysSketchWidth, other.hotKeysSketchWidth);
        conflict(conflicts, "hot-keys.l1-ttl", hotKeysL1Ttl, other.hotKeysL1Ttl);
        conflict(conflicts, "hot-keys.replicas", hotKeysReplicas, other.hotKeysReplicas);
        return conflicts;
    }

    /**
     * Combines two compatible option sets: every option set in either is set in the result.
     * @param other options that do not {@linkplain #conflictsWith(CacheOptions) conflict} with these
     * @return the union
     */
    public CacheOptions union(CacheOptions other) {
        return new CacheOptions(
                first(l1Enabled, other.l1Enabled), first(l1MaximumSize, other.l1MaximumSize),
                first(l1Ttl, other.l1Ttl), first(l2Enabled, other.l2Enabled), first(l2Ttl, other.l2Ttl),
                first(ttlJitter, other.ttlJitter), first(cacheNullValues, other.cacheNullValues),
                first(nullTtl, other.nullTtl), first(compressionThreshold, other.compressionThreshold),
                first(maxValueSize, other.maxValueSize), first(stampedeEnabled, other.stampedeEnabled),
                first(stampedeLease, other.stampedeLease), first(stampedeMaxWait, other.stampedeMaxWait),
                first(stampedeOnTimeout, other.stampedeOnTimeout), first(refreshMode, other.refreshMode),
                first(refreshAheadFraction, other.refreshAheadFraction),
                first(refreshXfetchBeta, other.refreshXfetchBeta), first(failSafeEnabled, other.failSafeEnabled),
                first(failSafeMaxStale, other.failSafeMaxStale), first(failSafeSoftTimeout, other.failSafeSoftTimeout),
                first(failSafeHardTimeout, other.failSafeHardTimeout), first(hotKeysEnabled, other.hotKeysEnabled),
                first(hotKeysWindow, other.hotKeysWindow),
                first(hotKeysMinReadsPerSecond, other.hotKeysMinReadsPerSecond),
                first(hotKeysMaxHotKeys, other.hotKeysMaxHotKeys), first(hotKeysSketchWidth, other.hotKeysSketchWidth),
                first(hotKeysL1Ttl, other.hotKeysL1Ttl), first(hotKeysReplicas, other.hotKeysReplicas));
    }

    private static <T> @Nullable T first(@Nullable T a, @Nullable T b) {
        return (a != null) ? a : b;
    }

    private static void conflict(List<String> conflicts, String name, @Nullable Object a, @Nullable Object b) {
        if (a != null && b != null && !Objects.equals(a, b)) {
            conflicts.add(name + " (" + a + " vs " + b + ")");
        }
    }
}
