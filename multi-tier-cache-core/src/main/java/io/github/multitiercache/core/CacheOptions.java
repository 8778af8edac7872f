package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

import org.jspecify.annotations.Nullable;

/**
 * A partial set of cache options: an immutable map from some {@link CacheOption}s to values;
 * an option that is absent is "not set here".
 *
 * <p>Options come in layers (built-in defaults, configured defaults, an annotation, configuration
 * of one cache); each layer is a {@code CacheOptions} applied over the previous one with
 * {@link CacheSettings.Builder#apply(CacheOptions)}:
 * <pre>{@code
 * CacheOptions layer = CacheOptions.none()
 *         .with(CacheSettings.L1_TTL, Duration.ofSeconds(30))
 *         .with(CacheSettings.STAMPEDE_LEASE, Duration.ofSeconds(3));
 * CacheSettings settings = CacheSettings.defaults().toBuilder().apply(layer).build();
 * }</pre>
 * Values are checked against their option's type when set, and against the option's rules when
 * the settings are built.
 */
public final class CacheOptions {

    private static final CacheOptions NONE = new CacheOptions(Map.of());

    /** Never modified once constructed. */
    private final Map<CacheOption<?>, Object> values;

    private CacheOptions(Map<CacheOption<?>, Object> values) {
        this.values = values;
    }

    /**
     * Options that set nothing.
     * @return the empty options
     */
    public static CacheOptions none() {
        return NONE;
    }

    /**
     * These options with one more set, or unset.
     * @param option the option
     * @param value its value; {@code null} leaves the option unset
     * @param <T> the option's type
     * @return new options; {@code this} when nothing changes
     */
    public <T> CacheOptions with(CacheOption<T> option, @Nullable T value) {
        if (Objects.equals(values.get(option), value)) {
            return this;
        }
        Map<CacheOption<?>, Object> copy = new HashMap<>(values);
        if (value == null) {
            copy.remove(option);
        }
        else {
            copy.put(option, option.cast(value));
        }
        return new CacheOptions(Collections.unmodifiableMap(copy));
    }

    /**
     * The value these options give {@code option}.
     * @param option the option
     * @param <T> the option's type
     * @return the value, {@code null} when not set here
     */
    public <T> @Nullable T get(CacheOption<T> option) {
        Object value = values.get(option);
        return (value != null) ? option.type().cast(value) : null;
    }

    /**
     * Whether no option is set.
     * @return {@code true} when no option is set
     */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    /**
     * Names the options that both this and {@code other} set, to different values.
     * @param other the options to compare with
     * @return descriptions such as {@code "l1.ttl (PT30S vs PT1M)"}, in the order of
     *         {@link CacheSettings#options()}; empty when compatible
     */
    public List<String> conflictsWith(CacheOptions other) {
        List<String> conflicts = new ArrayList<>();
        for (CacheOption<?> option : CacheSettings.options()) {
            Object mine = values.get(option);
            Object theirs = other.values.get(option);
            if (mine != null && theirs != null && !mine.equals(theirs)) {
                conflicts.add(option.name() + " (" + mine + " vs " + theirs + ")");
            }
        }
        return conflicts;
    }

    /**
     * Combines two compatible option sets: every option set in either is set in the result.
     * @param other options that do not {@linkplain #conflictsWith(CacheOptions) conflict} with these;
     *        where they do, these win
     * @return the union
     */
    public CacheOptions union(CacheOptions other) {
        if (other.isEmpty()) {
            return this;
        }
        Map<CacheOption<?>, Object> union = new HashMap<>(other.values);
        union.putAll(values);
        return new CacheOptions(Collections.unmodifiableMap(union));
    }

    /** The options set here and their values, for {@link CacheSettings.Builder#apply(CacheOptions)}. */
    Map<CacheOption<?>, Object> values() {
        return values;
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return (other instanceof CacheOptions options) && values.equals(options.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    /** @return for example {@code CacheOptions[l1.ttl=PT30S, stampede.lease=PT3S]} */
    @Override
    public String toString() {
        StringJoiner joiner = new StringJoiner(", ", "CacheOptions[", "]");
        for (CacheOption<?> option : CacheSettings.options()) {
            if (values.containsKey(option)) {
                joiner.add(option.name() + "=" + values.get(option));
            }
        }
        return joiner.toString();
    }
}
