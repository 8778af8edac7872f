package io.github.multitiercache.core.codec;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The classes whose names {@link JsonValueSerializer} accepts as type ids, on write and on read.
 *
 * <p>Contract: a class name is permitted if it is one of the {@linkplain #DEFAULT_JDK_TYPES built-in
 * JDK value types} or starts with one of the configured application package prefixes. Arrays are
 * permitted when their component type is permitted (or primitive); generic type ids such as
 * {@code java.util.EnumSet<com.example.Color>} are permitted only when every class they name is.
 * Nothing else is: there is deliberately no way to allow a whole JDK namespace, because the known
 * Jackson deserialization gadgets live there and in the libraries such a prefix would cover.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class TypeAllowList {

    /**
     * The JDK types always permitted: boxed primitives and {@code String}, {@code BigDecimal},
     * {@code BigInteger}, {@code UUID}, {@code Date}, {@code Locale}, {@code Currency},
     * {@code Optional*}, the mutable collections of {@code java.util} (and {@code ConcurrentHashMap},
     * {@code CopyOnWriteArrayList}), the JDK-internal classes behind {@code List.of}/{@code Set.of}/
     * {@code Map.of}, {@code Collections.unmodifiable*}/{@code singleton*}/{@code empty*} and
     * {@code Arrays.asList}, and the {@code java.time} value types.
     *
     * <p>Each is a plain value holder that Jackson builds from JSON literals or through a dedicated
     * deserializer, so naming it in a type id cannot trigger side effects. Names are exact:
     * subclasses such as {@code java.sql.Timestamp} are not included.
     */
    public static final Set<String> DEFAULT_JDK_TYPES = Set.of(
            "java.lang.String", "java.lang.Boolean", "java.lang.Character", "java.lang.Byte",
            "java.lang.Short", "java.lang.Integer", "java.lang.Long", "java.lang.Float",
            "java.lang.Double",
            "java.math.BigDecimal", "java.math.BigInteger",
            "java.util.UUID", "java.util.Date", "java.util.Locale", "java.util.Currency",
            "java.util.Optional", "java.util.OptionalInt", "java.util.OptionalLong",
            "java.util.OptionalDouble",
            "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque",
            "java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap",
            "java.util.HashSet", "java.util.LinkedHashSet", "java.util.TreeSet",
            "java.util.EnumSet", "java.util.EnumMap",
            "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.CopyOnWriteArrayList",
            // List.of / Set.of / Map.of, List.copyOf, Stream.toList()
            "java.util.ImmutableCollections$List12", "java.util.ImmutableCollections$ListN",
            "java.util.ImmutableCollections$Set12", "java.util.ImmutableCollections$SetN",
            "java.util.ImmutableCollections$Map1", "java.util.ImmutableCollections$MapN",
            "java.util.Arrays$ArrayList",
            "java.util.Collections$UnmodifiableList",
            "java.util.Collections$UnmodifiableRandomAccessList",
            "java.util.Collections$UnmodifiableSet", "java.util.Collections$UnmodifiableSortedSet",
            "java.util.Collections$UnmodifiableNavigableSet",
            "java.util.Collections$UnmodifiableMap", "java.util.Collections$UnmodifiableSortedMap",
            "java.util.Collections$UnmodifiableNavigableMap",
            "java.util.Collections$SingletonList", "java.util.Collections$SingletonSet",
            "java.util.Collections$SingletonMap",
            "java.util.Collections$EmptyList", "java.util.Collections$EmptySet",
            "java.util.Collections$EmptyMap",
            "java.time.Instant", "java.time.LocalDate", "java.time.LocalTime",
            "java.time.LocalDateTime", "java.time.OffsetDateTime", "java.time.OffsetTime",
            "java.time.ZonedDateTime", "java.time.Duration", "java.time.Period", "java.time.Year",
            "java.time.YearMonth", "java.time.MonthDay", "java.time.ZoneId", "java.time.ZoneOffset",
            "java.time.ZoneRegion", "java.time.DayOfWeek", "java.time.Month");

    /** Namespaces no application prefix may reach into: the JDK and its internals. */
    private static final List<String> RESERVED_NAMESPACES =
            List.of("java.", "javax.", "jdk.", "sun.", "com.sun.");

    /** Two or more identifier segments, each followed by a dot. */
    private static final Pattern PREFIX_SYNTAX =
            Pattern.compile("(?:[\\p{L}_$][\\p{L}\\p{N}_$]*\\.){2,}");

    /** One or more identifier segments, each followed by a dot. */
    private static final Pattern PACKAGE_SYNTAX =
            Pattern.compile("(?:[\\p{L}_$][\\p{L}\\p{N}_$]*\\.)+");

    /** A binary class name, possibly an array of one: {@code a.b.C$D}, {@code [[La.b.C;}. */
    private static final Pattern CLASS_NAME_SYNTAX = Pattern.compile(
            "\\[*L?[\\p{L}_$][\\p{L}\\p{N}_$]*(?:\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*;?");

    private static final TypeAllowList JDK_ONLY = new TypeAllowList(List.of());

    private final List<String> packagePrefixes;

    private TypeAllowList(List<String> packagePrefixes) {
        this.packagePrefixes = packagePrefixes;
    }

    /** Returns the allow-list holding only {@link #DEFAULT_JDK_TYPES}. */
    public static TypeAllowList jdkTypesOnly() {
        return JDK_ONLY;
    }

    /**
     * Returns an allow-list of {@link #DEFAULT_JDK_TYPES} plus every class whose name starts with
     * one of the given package prefixes.
     *
     * @param packagePrefixes application package prefixes such as {@code com.example.shop.}; a
     *     missing trailing dot is added so that {@code com.example.shop} cannot match
     *     {@code com.example.shopping}
     * @throws IllegalArgumentException if a prefix is blank, has fewer than two segments (such as
     *     {@code com.}), or lies in a JDK namespace ({@code java.}, {@code javax.}, {@code jdk.},
     *     {@code sun.}, {@code com.sun.})
     */
    public static TypeAllowList of(Collection<String> packagePrefixes) {
        Set<String> normalized = new TreeSet<>();
        for (String raw : packagePrefixes) {
            normalized.add(normalizePrefix(raw));
        }
        return normalized.isEmpty() ? JDK_ONLY : new TypeAllowList(List.copyOf(normalized));
    }

    /**
     * Returns an allow-list of {@link #DEFAULT_JDK_TYPES}, the application's own packages and the
     * configured package prefixes.
     *
     * <p>The application's own packages (those of its {@code @SpringBootApplication} class, as
     * Spring Boot's {@code AutoConfigurationPackages} lists them) are allowed whatever their depth:
     * an application in {@code package demo;} allows {@code demo.}. The two-segment rule of
     * {@link #of(Collection)} is for prefixes a user types, where {@code com.} is a slip that would
     * allow every library under it; a package that holds the application's own code is no slip.
     * Either way no prefix ever admits a class of a JDK namespace that is not a
     * {@linkplain #DEFAULT_JDK_TYPES built-in type}.
     *
     * @param applicationPackages package names such as {@code demo} or {@code com.example.shop}
     *     (a trailing dot is accepted); not the default package, which no prefix can describe
     * @param packagePrefixes configured prefixes, as for {@link #of(Collection)}
     * @throws IllegalArgumentException if an application package is blank, not a package name, or
     *     lies in a JDK namespace, or a configured prefix breaks the rules of {@link #of(Collection)}
     */
    public static TypeAllowList of(Collection<String> applicationPackages, Collection<String> packagePrefixes) {
        Set<String> normalized = new TreeSet<>();
        for (String raw : applicationPackages) {
            normalized.add(normalizeApplicationPackage(raw));
        }
        for (String raw : packagePrefixes) {
            normalized.add(normalizePrefix(raw));
        }
        return normalized.isEmpty() ? JDK_ONLY : new TypeAllowList(List.copyOf(normalized));
    }

    /** Returns the allowed application package prefixes, each ending with a dot, sorted. */
    public List<String> packagePrefixes() {
        return packagePrefixes;
    }

    /** Returns the exact JDK class names always allowed; same as {@link #DEFAULT_JDK_TYPES}. */
    public Set<String> jdkTypes() {
        return DEFAULT_JDK_TYPES;
    }

    /**
     * Tells whether the class with this binary name (as {@link Class#getName()} returns it, e.g.
     * {@code [Ljava.lang.String;} for {@code String[]}) may be named in a type id.
     */
    public boolean permits(String className) {
        int dims = 0;
        while (dims < className.length() && className.charAt(dims) == '[') {
            dims++;
        }
        if (dims == 0) {
            return permitsPlain(className);
        }
        String component = className.substring(dims);
        if (component.length() == 1) {
            return "ZBCSIJFD".indexOf(component.charAt(0)) >= 0; // primitive array
        }
        if (component.length() < 3 || component.charAt(0) != 'L'
                || component.charAt(component.length() - 1) != ';') {
            return false;
        }
        String element = component.substring(1, component.length() - 1);
        // Object[] is how untyped arrays travel; its elements carry their own, checked, type ids.
        return "java.lang.Object".equals(element) || permitsPlain(element);
    }

    /**
     * Returns the first class name in a type id that is not permitted, or {@code null} if all are
     * (or if the id names no class at all). Handles generic canonical ids such as
     * {@code java.util.EnumMap<com.example.Color,java.lang.Object>}, where {@code java.lang.Object}
     * is accepted as a type parameter only.
     */
    public @Nullable String firstDisallowed(String typeId) {
        String[] names = typeId.split("[<>,\\s]+");
        for (int i = 0; i < names.length; i++) {
            String name = names[i];
            boolean objectParameter = i > 0 && "java.lang.Object".equals(name);
            if (CLASS_NAME_SYNTAX.matcher(name).matches() && !objectParameter && !permits(name)) {
                return name;
            }
        }
        return null;
    }

    /**
     * Explains how to get a rejected class accepted, for exception messages: application classes
     * need their package prefix; JDK classes outside the built-in set cannot be allowed.
     */
    String remedyFor(String className) {
        String element = className.replaceFirst("^\\[+L?", "").replaceFirst(";$", "");
        int lastDot = element.lastIndexOf('.');
        String pkg = (lastDot > 0) ? element.substring(0, lastDot + 1) : element;
        if (isReserved(pkg)) {
            return "JDK types outside the built-in set (TypeAllowList.DEFAULT_JDK_TYPES) cannot be "
                    + "allowed; cache a supported type instead (e.g. convert it to a String or copy "
                    + "it into an ArrayList/HashMap/HashSet)";
        }
        return "if it is one of your own types, add its package prefix (e.g. '" + pkg
                + "') to the allowed package prefixes of JsonValueSerializer; currently allowed: "
                + (packagePrefixes.isEmpty() ? "none" : String.join(", ", packagePrefixes));
    }

    private boolean permitsPlain(String name) {
        if (DEFAULT_JDK_TYPES.contains(name)) {
            return true;
        }
        if (isReserved(name)) {
            // Whatever the prefixes (an application package 'com' covers 'com.sun.').
            return false;
        }
        for (String prefix : packagePrefixes) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static String normalizePrefix(@Nullable String raw) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("Allowed package prefix must not be blank");
        }
        String prefix = raw.strip();
        if (!prefix.endsWith(".")) {
            prefix = prefix + ".";
        }
        if (!PREFIX_SYNTAX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("Allowed package prefix '" + raw + "' must be a "
                    + "package name of at least two segments, such as 'com.example.'");
        }
        if (isReserved(prefix)) {
            throw new IllegalArgumentException("Allowed package prefix '" + raw + "' lies in a JDK "
                    + "namespace; JDK types are limited to TypeAllowList.DEFAULT_JDK_TYPES");
        }
        return prefix;
    }

    private static String normalizeApplicationPackage(@Nullable String raw) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("An application package must not be blank (the default package "
                    + "cannot be allowed by prefix)");
        }
        String prefix = raw.strip();
        if (!prefix.endsWith(".")) {
            prefix = prefix + ".";
        }
        if (!PACKAGE_SYNTAX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("Application package '" + raw + "' is not a package name");
        }
        if (isReserved(prefix)) {
            throw new IllegalArgumentException("Application package '" + raw + "' lies in a JDK "
                    + "namespace; JDK types are limited to TypeAllowList.DEFAULT_JDK_TYPES");
        }
        return prefix;
    }

    private static boolean isReserved(String prefix) {
        for (String reserved : RESERVED_NAMESPACES) {
            if (prefix.startsWith(reserved)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof TypeAllowList that && packagePrefixes.equals(that.packagePrefixes);
    }

    @Override
    public int hashCode() {
        return packagePrefixes.hashCode();
    }

    @Override
    public String toString() {
        return "TypeAllowList[" + DEFAULT_JDK_TYPES.size() + " built-in JDK types, packagePrefixes="
                + packagePrefixes + "]";
    }
}
