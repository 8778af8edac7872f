package io.github.multitiercache.annotation;

import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.github.multitiercache.core.CacheOption;
import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;
import org.jspecify.annotations.Nullable;
import org.springframework.core.annotation.AliasFor;

/**
 * Which attribute of an annotation sets which {@link CacheOption}, and how its value is read.
 *
 * <p>The attribute of an option is named after it: {@code l1.ttl} is {@code l1Ttl},
 * {@code hot-keys.min-reads-per-second} is {@code hotKeysMinReadsPerSecond}. Its type says how it
 * is read and when it is unset: a {@link MultiTierCacheable.Toggle} sets a {@code Boolean} option
 * unless {@code DEFAULT}; a {@code String} sets a {@code Duration} ({@code 30s}, {@code PT30S}) or an
 * enum option (any case, {@code -} for {@code _}) unless blank; a {@code long}, {@code int} or
 * {@code double} sets an option of that type unless negative. Every option has an attribute
 * except those named as not on the annotation, and every attribute that is not an
 * {@link AliasFor alias} of {@code @Cacheable} is an option; anything else fails when the mapping
 * is made, so a new option cannot be forgotten on the annotation.
 */
final class OptionAttributes {

    /**
     * The options that {@link MultiTierCacheable} does not carry: sizes in bytes and the sketch's
     * memory are tuned per deployment, in configuration.
     */
    static final Set<CacheOption<?>> NOT_ON_THE_ANNOTATION = Set.of(CacheSettings.COMPRESSION_THRESHOLD,
            CacheSettings.MAX_VALUE_SIZE, CacheSettings.HOT_KEYS_SKETCH_WIDTH);

    private static final Map<Class<?>, Class<?>> NUMBERS = Map.of(long.class, Long.class, int.class, Integer.class,
            double.class, Double.class);

    /** Attributes of {@link CacheableAll} that describe its calls, not its cache. */
    private static final Set<String> CALL_ATTRIBUTES = Set.of("key", "condition", "unless", "tags");

    private static final OptionAttributes MULTI_TIER_CACHEABLE = of(MultiTierCacheable.class, NOT_ON_THE_ANNOTATION);
    private static final OptionAttributes CACHEABLE_ALL = of(CacheableAll.class, NOT_ON_THE_ANNOTATION);

    private final List<Attribute<?>> attributes;

    private OptionAttributes(List<Attribute<?>> attributes) {
        this.attributes = attributes;
    }

    /** The mapping of {@link MultiTierCacheable}. */
    static OptionAttributes multiTierCacheable() {
        return MULTI_TIER_CACHEABLE;
    }

    /** The mapping of {@link CacheableAll}. */
    static OptionAttributes cacheableAll() {
        return CACHEABLE_ALL;
    }

    /**
     * Maps the attributes of an annotation type onto the options.
     * @param type the annotation type
     * @param absent the options it deliberately has no attribute for
     * @throws IllegalStateException when an option other than {@code absent} has no attribute, an
     *         attribute is not an option, or an attribute's type cannot carry its option
     */
    static OptionAttributes of(Class<? extends Annotation> type, Set<CacheOption<?>> absent) {
        List<Attribute<?>> attributes = new ArrayList<>();
        Set<String> mapped = new HashSet<>();
        for (CacheOption<?> option : CacheSettings.options()) {
            if (absent.contains(option)) {
                continue;
            }
            String name = attributeName(option);
            Method method;
            try {
                method = type.getMethod(name);
            }
            catch (NoSuchMethodException ex) {
                throw new IllegalStateException("@" + type.getSimpleName() + " has no attribute " + name
                        + " for the cache option " + option.name() + "; declare one, or list the option among those"
                        + " not on the annotation", ex);
            }
            attributes.add(attribute(option, method));
            mapped.add(name);
        }
        for (Method method : type.getDeclaredMethods()) {
            if (!method.isAnnotationPresent(AliasFor.class) && !mapped.contains(method.getName())
                    && !(type == CacheableAll.class && CALL_ATTRIBUTES.contains(method.getName()))
                    && !(type == MultiTierCacheable.class && method.getName().equals("tags"))) {
                throw new IllegalStateException("@" + type.getSimpleName() + "." + method.getName()
                        + " sets no cache option: name it after one (l1.ttl is l1Ttl)");
            }
        }
        return new OptionAttributes(List.copyOf(attributes));
    }

    /**
     * The name of an option's attribute.
     * @param option the option
     * @return its name in camel case, {@code hotKeysL1Ttl} for {@code hot-keys.l1-ttl}
     */
    static String attributeName(CacheOption<?> option) {
        StringBuilder name = new StringBuilder();
        boolean upper = false;
        for (char c : option.name().toCharArray()) {
            if (c == '.' || c == '-') {
                upper = true;
            }
            else {
                name.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return name.toString();
    }

    /**
     * Reads the options an annotation sets.
     * @param annotation an annotation of the mapped type
     * @return the options set by its attributes
     * @throws IllegalArgumentException naming the attribute, when a value cannot be read
     */
    CacheOptions read(Annotation annotation) {
        CacheOptions options = CacheOptions.none();
        for (Attribute<?> attribute : attributes) {
            options = attribute.readInto(options, annotation);
        }
        return options;
    }

    private static <T> Attribute<T> attribute(CacheOption<T> option, Method method) {
        Class<?> returned = method.getReturnType();
        boolean fits = (returned == MultiTierCacheable.Toggle.class) ? option.type() == Boolean.class
                : (returned == String.class) ? option.type() == Duration.class || option.type().isEnum()
                : option.type() == NUMBERS.get(returned);
        if (!fits) {
            throw new IllegalStateException("@" + method.getDeclaringClass().getSimpleName() + "." + method.getName()
                    + " is a " + returned.getSimpleName() + ", which cannot set the cache option " + option.name()
                    + " of type " + option.type().getSimpleName());
        }
        return new Attribute<>(option, method);
    }

    private record Attribute<T>(CacheOption<T> option, Method method) {

        CacheOptions readInto(CacheOptions options, Annotation annotation) {
            Object value;
            try {
                value = method.invoke(annotation);
            }
            catch (IllegalAccessException | InvocationTargetException ex) {
                throw new IllegalStateException("Cannot read " + method, ex);
            }
            return options.with(option, convert(value));
        }

        private @Nullable T convert(Object value) {
            if (value instanceof MultiTierCacheable.Toggle toggle) {
                return switch (toggle) {
                    case DEFAULT -> null;
                    case TRUE -> option.type().cast(Boolean.TRUE);
                    case FALSE -> option.type().cast(Boolean.FALSE);
                };
            }
            if (value instanceof String text) {
                if (text.isBlank()) {
                    return null;
                }
                return option.type().isEnum() ? constant(text) : option.type().cast(Durations.parse(text));
            }
            // A number: negative is the "unset" default of the attribute.
            return (((Number) value).doubleValue() < 0) ? null : option.type().cast(value);
        }

        private T constant(String text) {
            String wanted = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (T constant : option.type().getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(wanted)) {
                    return constant;
                }
            }
            throw new IllegalArgumentException(method.getName() + " must be one of "
                    + Arrays.toString(option.type().getEnumConstants()) + " but was '" + text + "'");
        }
    }
}
