package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One option of a cache: its name, its type and where its value lives in {@link CacheSettings}.
 *
 * <p>The options are the constants of {@link CacheSettings} ({@link CacheSettings#L1_TTL},
 * {@link CacheSettings#STAMPEDE_LEASE}, …), listed in order by {@link CacheSettings#options()}.
 * Everything that sets options iterates over that list instead of naming each option: the
 * {@linkplain CacheSettings.Builder#set(CacheOption, Object) builder}, the partial layers of
 * {@link CacheOptions}, the {@code multi-tier-cache.*} properties and the
 * {@code @MultiTierCacheable} attributes. An option's name is its property path relative to a
 * cache ({@code l1.ttl}, {@code hot-keys.min-reads-per-second}); the properties and the annotation
 * attribute ({@code l1Ttl}, {@code hotKeysMinReadsPerSecond}) are found from it. Defaults and
 * validation stay with the settings records, whose constructors refuse invalid values naming the
 * option.
 *
 * <p>Options compare by identity: each exists once, as a constant.
 *
 * @param <T> the type of the option's value; never {@code null} in a {@link CacheSettings}
 */
public final class CacheOption<T> {

    private final String name;
    private final Class<T> type;
    private final Part<?> part;
    private final Function<Object, T> accessor;

    @SuppressWarnings("unchecked")
    private <P> CacheOption(String name, Class<T> type, Part<P> part, Function<P, T> accessor) {
        this.name = name;
        this.type = type;
        this.part = part;
        this.accessor = (Function<Object, T>) accessor;
    }

    /**
     * The option's name: its property path below {@code multi-tier-cache.defaults} and
     * {@code multi-tier-cache.caches.<cache-name>}, as error messages name it.
     * @return for example {@code stampede.max-wait}
     */
    public String name() {
        return name;
    }

    /**
     * The type of the option's value.
     * @return a boxed type for primitive components ({@code Boolean.class} for a {@code boolean})
     */
    public Class<T> type() {
        return type;
    }

    /**
     * The option's value in {@code settings}.
     * @param settings the settings to read
     * @return the value, never {@code null}
     */
    public T get(CacheSettings settings) {
        return accessor.apply(part.of(settings));
    }

    /** The value of this option in one instance of its part, such as a {@code StampedeSettings}. */
    T readPart(Object partValue) {
        return accessor.apply(partValue);
    }

    Part<?> part() {
        return part;
    }

    /**
     * Casts a value to this option's type.
     * @throws NullPointerException naming the option when {@code value} is {@code null}
     * @throws ClassCastException when {@code value} is not of this option's type
     */
    T cast(Object value) {
        return type.cast(Objects.requireNonNull(value, name));
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * A record of {@link CacheSettings} that holds options: the settings themselves, or one of
     * their sub-records ({@code stampede}, {@code hot-keys}, …). Its options share a name prefix.
     * Options are added while {@link CacheSettings} initialises its constants and never after.
     *
     * @param <P> the record type
     */
    static final class Part<P> {

        private final String prefix;
        private final Function<CacheSettings, P> of;
        private final List<CacheOption<?>> options = new ArrayList<>();

        /**
         * @param prefix prepended to the names of its options ({@code "stampede."}, or {@code ""})
         * @param of how the part is read from the settings
         */
        Part(String prefix, Function<CacheSettings, P> of) {
            this.prefix = prefix;
            this.of = of;
        }

        /** Declares one option of this part. */
        <T> CacheOption<T> option(String name, Class<T> type, Function<P, T> accessor) {
            CacheOption<T> option = new CacheOption<>(prefix + name, type, this, accessor);
            options.add(option);
            return option;
        }

        P of(CacheSettings settings) {
            return of.apply(settings);
        }

        List<CacheOption<?>> options() {
            return options;
        }
    }
}
