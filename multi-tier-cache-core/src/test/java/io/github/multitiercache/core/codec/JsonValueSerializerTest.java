package io.github.multitiercache.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.data.redis.serializer.SerializationException;

class JsonValueSerializerTest {

    /** Test value types live in this package, which {@link #serializer} allows. */
    private static final String TEST_PACKAGE = "io.github.multitiercache.core.codec.";

    private final JsonValueSerializer serializer = new JsonValueSerializer(List.of(TEST_PACKAGE));

    /** Allows another package only, so the test value types count as foreign to it. */
    private final JsonValueSerializer shopSerializer = JsonValueSerializer.forPackages("com.example.shop.");

    enum Color { RED, GREEN }

    interface Shape {
    }

    record Circle(double radius) implements Shape {
    }

    record Line(String sku, long quantity, @Nullable Object extra) {
    }

    record Order(UUID id, List<Line> lines, Map<String, Object> attributes, Shape shape,
            Optional<Instant> shippedAt, Color color, Object anything) {
    }

    /** A JavaBean with interface- and Object-typed properties. */
    public static class Customer {
        private @Nullable String name;
        private @Nullable Object tag;
        private @Nullable Collection<Object> history;

        public @Nullable String getName() {
            return name;
        }

        public void setName(@Nullable String name) {
            this.name = name;
        }

        public @Nullable Object getTag() {
            return tag;
        }

        public void setTag(@Nullable Object tag) {
            this.tag = tag;
        }

        public @Nullable Collection<Object> getHistory() {
            return history;
        }

        public void setHistory(@Nullable Collection<Object> history) {
            this.history = history;
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Customer c && Objects.equals(name, c.name) && Objects.equals(tag, c.tag)
                    && Objects.equals(history, c.history);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, tag, history);
        }
    }

    private static final String GADGET_NAME = TEST_PACKAGE + "JsonValueSerializerTest$ForbiddenGadget";

    static final AtomicBoolean GADGET_INITIALIZED = new AtomicBoolean();
    static final AtomicInteger GADGET_INSTANCES = new AtomicInteger();

    /** Stands in for a deserialization gadget; only ever named in crafted JSON, never referenced. */
    public static class ForbiddenGadget {
        static {
            GADGET_INITIALIZED.set(true);
        }

        public ForbiddenGadget() {
            GADGET_INSTANCES.incrementAndGet();
        }

        public void setCommand(String command) {
            GADGET_INSTANCES.incrementAndGet();
        }
    }

    /** A bean Jackson cannot write: reading its only property fails. */
    public static class Exploding {
        public String getState() {
            throw new IllegalStateException("not readable");
        }
    }

    static Stream<Object> exactTypeValues() {
        return Stream.of("text", "", 42, 5L, Long.MAX_VALUE, (short) 7, (byte) -3, 2.5d, 1.25f, true,
                'x', new BigDecimal("12.3400"), new BigInteger("123456789012345678901234567890"),
                UUID.randomUUID(), Color.GREEN, DayOfWeek.FRIDAY,
                Instant.parse("2024-02-29T12:34:56.123456789Z"), LocalDate.of(2024, 2, 29),
                LocalDateTime.of(2024, 2, 29, 1, 2, 3, 4), LocalTime.of(23, 59, 1),
                OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 6, ZoneOffset.ofHours(-7)),
                ZonedDateTime.of(2024, 7, 1, 8, 0, 0, 0, ZoneId.of("Europe/Paris")),
                Duration.ofMillis(1500), Period.of(1, 2, 3), ZoneOffset.ofHours(5), new Date(1_700_000_000_123L),
                new ArrayList<>(List.of(1, 2L, "three")), new LinkedList<>(List.of("a", "b")),
                new HashMap<>(Map.of("a", 1L, "b", "x")), new LinkedHashMap<>(Map.of("k", List.of(1L))),
                new TreeMap<>(Map.of("b", 2, "a", 1)), new HashSet<>(Set.of(1L, 2L)),
                new LinkedHashSet<>(List.of("z", "y")), new TreeSet<>(Set.of("b", "a")),
                EnumSet.of(Color.RED), new EnumMap<>(Map.of(Color.RED, 1L)),
                new Line("sku-1", 3, null), new Circle(2.5));
    }

    @ParameterizedTest
    @MethodSource("exactTypeValues")
    void roundTripsWithExactType(Object value) {
        Object back = roundTrip(value);

        assertThat(back).isEqualTo(value);
        assertThat(back.getClass()).isEqualTo(value.getClass());
    }

    @Test
    void smallLongStaysLongAndStringStaysStringAtTopLevel() {
        assertThat(roundTrip(1L)).isExactlyInstanceOf(Long.class);
        assertThat(roundTrip("1")).isExactlyInstanceOf(String.class);
        assertThat(new String(serializer.serialize("plain"), StandardCharsets.UTF_8)).isEqualTo("\"plain\"");
    }

    static Stream<Object> jdkImmutableCollections() {
        return Stream.of(List.of(), List.of(1L), List.of(1, 2L, "3"), Set.of(), Set.of("a"), Set.of(1L, 2L, 3L),
                Map.of(), Map.of("a", 1L), Map.of("a", 1, "b", 2L), List.of(1, 2).stream().toList(),
                Collections.unmodifiableList(new ArrayList<>(List.of(1L))),
                Collections.unmodifiableList(new LinkedList<>(List.of(1L))),
                Collections.unmodifiableSet(new HashSet<>(Set.of(1L))),
                Collections.unmodifiableMap(new HashMap<>(Map.of("a", 1L))),
                Collections.unmodifiableSortedSet(new TreeSet<>(Set.of("a"))),
                Collections.unmodifiableSortedMap(new TreeMap<>(Map.of("a", 1))),
                Collections.singletonList(1L), Collections.singleton("s"), Collections.singletonMap("k", 1L),
                Collections.emptyList(), Collections.emptySet(), Collections.emptyMap(), Arrays.asList(1L, "x"));
    }

    @ParameterizedTest
    @MethodSource("jdkImmutableCollections")
    void immutableCollectionsComeBackEqualAndOfTheSameKind(Object value) {
        Object back = roundTrip(value);

        assertThat(back).isEqualTo(value);
        Class<?> kind = (value instanceof List) ? List.class : (value instanceof Set) ? Set.class : Map.class;
        assertThat(back).isInstanceOf(kind);
    }

    @Test
    void arraysRoundTrip() {
        assertThat((String[]) roundTrip(new String[] {"a", "b"})).containsExactly("a", "b");
        assertThat((int[]) roundTrip(new int[] {1, 2, 3})).containsExactly(1, 2, 3);
        Object[] mixed = (Object[]) roundTrip(new Object[] {1L, "s", Color.RED, null});
        assertThat(mixed).containsExactly(1L, "s", Color.RED, null);
        assertThat(mixed[0]).isExactlyInstanceOf(Long.class);
        assertThat((Line[]) roundTrip(new Line[] {new Line("a", 1, 2L)})).containsExactly(new Line("a", 1, 2L));
    }

    @Test
    void recordWithNestedInterfaceObjectAndOptionalFieldsRoundTrips() {
        Order order = new Order(UUID.randomUUID(),
                List.of(new Line("a", 1, 7L), new Line("b", 2, List.of(Color.RED, 3L))),
                Map.of("gift", true, "note", new Line("n", 0, null), "big", new BigDecimal("1.10")),
                new Circle(1.5), Optional.of(Instant.EPOCH), Color.GREEN, Set.of(1L, 2L));

        Object back = roundTrip(order);

        assertThat(back).isEqualTo(order);
        Order copy = (Order) back;
        assertThat(copy.lines().get(0).extra()).isExactlyInstanceOf(Long.class);
        assertThat(copy.attributes().get("note")).isExactlyInstanceOf(Line.class);
        assertThat(roundTrip(new Order(order.id(), List.of(), Map.of(), new Circle(0), Optional.empty(),
                Color.RED, "x"))).isEqualTo(new Order(order.id(), List.of(), Map.of(), new Circle(0),
                Optional.empty(), Color.RED, "x"));
    }

    @Test
    void javaBeanWithObjectAndInterfaceTypedPropertiesRoundTrips() {
        Customer customer = new Customer();
        customer.setName("Ada");
        customer.setTag(12L);
        customer.setHistory(new ArrayList<>(List.of(new Line("x", 1, null), Instant.EPOCH, 3L)));

        assertThat(roundTrip(customer)).isEqualTo(customer);
    }

    @Test
    void optionalOutsideAnOptionalTypedFieldIsUnwrappedLikeSpringCacheDoes() {
        assertThat(roundTrip(Optional.of(5L))).isEqualTo(5L);
        assertThat(serializer.deserialize(serializer.serialize(Optional.empty()))).isNull();
    }

    @Test
    void mapKeysTravelAsStrings() {
        assertThat(roundTrip(new HashMap<>(Map.of(1L, "x")))).isEqualTo(Map.of("1", "x"));
    }

    @Test
    void nullIsAnEmptyArrayAndBack() {
        assertThat(serializer.serialize(null)).isEmpty();
        assertThat(serializer.deserialize(null)).isNull();
        assertThat(serializer.deserialize(new byte[0])).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "[\"java.net.URL\",\"http://example.com/\"]",
        "{\"@class\":\"java.util.logging.FileHandler\",\"pattern\":\"/tmp/evil-%u.log\"}",
        "{\"@class\":\"com.sun.rowset.JdbcRowSetImpl\",\"dataSourceName\":\"ldap://x/y\",\"autoCommit\":true}",
        "[\"java.lang.ProcessBuilder\",[\"touch\",\"/tmp/pwned\"]]",
        "[\"java.lang.Object\",{}]"
    })
    void rejectsJdkClassesOutsideTheAllowList(String json) {
        String className = json.replaceFirst("^[\\[{]\"(@class\":\")?", "").replaceFirst("\".*", "");

        assertThatThrownBy(() -> serializer.deserialize(json.getBytes(StandardCharsets.UTF_8)))
                .isExactlyInstanceOf(SerializationException.class)
                .hasMessageContaining("'" + className + "'")
                .hasMessageContaining("not on the allow-list")
                .hasMessageContaining("DEFAULT_JDK_TYPES");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"@class\":\"%s\",\"command\":\"calc\"}",
        "[\"%s\",{\"command\":\"calc\"}]",
        "[\"[L%s;\",[{\"command\":\"calc\"}]]",
        "[\"java.util.ArrayList<%s>\",[{\"command\":\"calc\"}]]",
        "{\"@class\":\"java.util.HashMap\",\"k\":{\"@class\":\"%s\",\"command\":\"calc\"}}",
        "[\"java.util.ArrayList\",[1,[\"%s\",{\"command\":\"calc\"}]]]"
    })
    void rejectsClassesFromPackagesNotAllowedWithoutLoadingThem(String template) {
        String json = String.format(template, GADGET_NAME);

        assertThatThrownBy(() -> shopSerializer.deserialize(json.getBytes(StandardCharsets.UTF_8)))
                .isExactlyInstanceOf(SerializationException.class)
                .hasMessageContaining("not on the allow-list")
                .hasMessageContaining(TEST_PACKAGE)
                .hasMessageContaining("allowed package prefixes");
        assertThat(GADGET_INSTANCES).hasValue(0);
        assertThat(GADGET_INITIALIZED).isFalse();
    }

    @Test
    void gadgetNameUsedInCraftedJsonIsReal() throws ClassNotFoundException {
        // Loads without initializing, so the other tests' "never initialized" check stays valid.
        assertThat(Class.forName(GADGET_NAME, false, getClass().getClassLoader())).isNotNull();
        assertThat(GADGET_INITIALIZED).isFalse();
    }

    @Test
    void typeParametersOfGenericTypeIdsAreCheckedToo() {
        String json = "[\"java.util.EnumSet<" + Color.class.getName() + ">\",[\"RED\"]]";

        assertThat(serializer.deserialize(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(EnumSet.of(Color.RED));
        assertThatThrownBy(() -> shopSerializer.deserialize(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining(Color.class.getName());
    }

    @Test
    void refusesToWriteWhatItCouldNotReadBack() {
        assertThatThrownBy(() -> shopSerializer.serialize(new Line("a", 1, null)))
                .isExactlyInstanceOf(SerializationException.class)
                .hasMessageContaining("'" + Line.class.getName() + "'")
                .hasMessageContaining("add its package prefix");
        assertThatThrownBy(() -> serializer.serialize(new java.sql.Timestamp(0)))
                .isExactlyInstanceOf(SerializationException.class)
                .hasMessageContaining("java.sql.Timestamp");
        assertThatThrownBy(() -> serializer.serialize(new HashMap<>(Map.of("a", 1)).keySet()))
                .isExactlyInstanceOf(SerializationException.class)
                .hasMessageContaining("java.util.HashMap$KeySet");
        assertThatThrownBy(() -> serializer.serialize(new Line("a", 1, new java.sql.Date(0))))
                .isExactlyInstanceOf(SerializationException.class)
                .hasMessageContaining("java.sql.Date");
    }

    @Test
    void unserializableValuesFailWithSerializationException() {
        Map<String, Object> selfMap = new HashMap<>();
        selfMap.put("self", selfMap);
        List<Object> first = new ArrayList<>();
        List<Object> second = new ArrayList<>(List.of(first));
        first.add(second);
        Customer selfCustomer = new Customer();
        selfCustomer.setTag(selfCustomer);

        for (Object value : List.of(selfMap, first, selfCustomer, new Exploding(), new Object(), Thread.currentThread())) {
            assertThatThrownBy(() -> serializer.serialize(value))
                    .as(value.getClass().getName())
                    .isExactlyInstanceOf(SerializationException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"@class\":\"java.util.HashMap\"", "\"abc\" trailing", "[\"java.lang.Long\",\"x\"]",
        "{\"a\":1}", "[1,2]", "\u0000\u0001\u0002", "[\"com.example.shop.NoSuchType\",{}]"})
    void corruptJsonFailsWithSerializationException(String json) {
        assertThatThrownBy(() -> shopSerializer.deserialize(json.getBytes(StandardCharsets.UTF_8)))
                .isExactlyInstanceOf(SerializationException.class)
                .hasMessageStartingWith("Cannot deserialize cached JSON value");
    }

    @Test
    void randomBytesFailWithSerializationExceptionOnly() {
        Random random = new Random(42);
        for (int i = 0; i < 2_000; i++) {
            byte[] bytes = new byte[1 + random.nextInt(64)];
            random.nextBytes(bytes);
            try {
                serializer.deserialize(bytes);
            } catch (SerializationException expected) {
                // the only acceptable failure
            }
        }
    }

    @Test
    void exposesTheEffectiveAllowList() {
        TypeAllowList defaults = JsonValueSerializer.jdkTypesOnly().allowList();
        assertThat(defaults.packagePrefixes()).isEmpty();
        assertThat(defaults.jdkTypes()).contains("java.lang.Long", "java.util.ArrayList", "java.time.Instant")
                .noneMatch(name -> name.startsWith("java.net.") || name.startsWith("java.lang.reflect."));

        assertThat(JsonValueSerializer.forPackages("com.example.shop", "org.acme.").allowList().packagePrefixes())
                .containsExactly("com.example.shop.", "org.acme.");
        assertThat(JsonValueSerializer.jdkTypesOnly().serialize(42L)).isNotEmpty();
        assertThatThrownBy(() -> JsonValueSerializer.jdkTypesOnly().serialize(new Line("a", 1, null)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("currently allowed: none");
    }

    private Object roundTrip(Object value) {
        Object back = serializer.deserialize(serializer.serialize(value));
        assertThat(back).isNotNull();
        return Objects.requireNonNull(back);
    }
}
