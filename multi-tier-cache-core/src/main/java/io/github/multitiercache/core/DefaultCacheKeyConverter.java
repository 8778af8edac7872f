package io.github.multitiercache.core;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Date;
import java.util.UUID;
import java.time.temporal.TemporalAccessor;

import org.springframework.cache.interceptor.SimpleKey;

/**
 * The default key text forms:
 * <ul>
 * <li>{@code String}: itself;</li>
 * <li>numbers, {@code Boolean}, {@code Character}, {@code UUID}, {@code java.time} values:
 * {@code toString()} ({@code 42}, {@code true}, {@code 2026-01-31});</li>
 * <li>enums: {@code name()};</li>
 * <li>{@code Date}: epoch milliseconds;</li>
 * <li>Spring's {@link SimpleKey} (several method arguments): the arguments' {@code toString()}
 * joined by {@code ", "} ({@code SimpleKey [a, 1]} becomes {@code a, 1}; no arguments become the empty
 * text);</li>
 * <li>arrays: their elements, comma-separated, in brackets;</li>
 * <li>records and any other class that declares {@code toString()}: its {@code toString()}
 * ({@code Point[x=1, y=2]}).</li>
 * </ul>
 * A key whose class inherits {@code Object.toString()} (an identity hash, different in every JVM)
 * is refused with an {@link IllegalArgumentException}.
 */
public enum DefaultCacheKeyConverter implements CacheKeyConverter {

    /** The singleton. */
    INSTANCE;

    private static final ClassValue<Boolean> DECLARES_TO_STRING = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                Method toString = type.getMethod("toString");
                return toString.getDeclaringClass() != Object.class;
            }
            catch (NoSuchMethodException ex) {
                return false;
            }
        }
    };

    @Override
    public String convert(Object key) {
        if (key instanceof String text) {
            return text;
        }
        if (key instanceof Number || key instanceof Boolean || key instanceof Character || key instanceof UUID
                || key instanceof TemporalAccessor) {
            return key.toString();
        }
        if (key instanceof Enum<?> constant) {
            return constant.name();
        }
        if (key instanceof Date date) {
            return Long.toString(date.getTime());
        }
        if (key instanceof SimpleKey simpleKey) {
            String text = simpleKey.toString();
            // "SimpleKey [a, b]": keep the arguments only.
            int open = text.indexOf('[');
            return (open >= 0 && text.endsWith("]")) ? text.substring(open + 1, text.length() - 1) : text;
        }
        if (key instanceof Object[] array) {
            return Arrays.deepToString(array);
        }
        if (key.getClass().isArray()) {
            return Arrays.deepToString(new Object[] { key }).replaceFirst("^\\[(.*)]$", "$1");
        }
        if (DECLARES_TO_STRING.get(key.getClass())) {
            return key.toString();
        }
        throw new IllegalArgumentException("Cache key of type " + key.getClass().getName()
                + " has no stable text form (it inherits Object.toString()); declare toString(), use a key"
                + " expression, or provide a CacheKeyConverter");
    }
}
