package io.github.multitiercache.autoconfigure.endpoint;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.CacheDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.CacheManagerDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.FailSafeDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.HotKeyDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.HotKeySettingsDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.HotKeysDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.InvalidationDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.KeyDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.KeyEvictionDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.KeyTierDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.L1Descriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.L2Descriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.LoadsDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.MultiTierCachesDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.RedisDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.RefreshDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.SettingsDescriptor;
import io.github.multitiercache.autoconfigure.endpoint.MultiTierCacheEndpoint.StampedeDescriptor;
import io.github.multitiercache.core.CacheSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.jackson.JacksonEndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.jackson.EndpointJsonMapper;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the JSON of the {@code multitiercache} endpoint, field by field and with each field's JSON
 * type, as documented in {@code docs/endpoints.md}: a change of a response record (a renamed,
 * added or removed component, a value that serializes differently) fails here, and so does a docs
 * example that names a field the endpoint does not return. Serialized with the actuator's own
 * {@link EndpointJsonMapper}, from responses with every optional field present.
 */
class MultiTierCacheEndpointJsonTests {

    private static final Path ENDPOINTS_DOC = Path.of("..", "docs", "endpoints.md");

    // Objects whose keys are names (of cache managers, of caches), not fields.
    private static final Set<String> MAPS = Set.of("cacheManagers", "caches");

    private static final String CACHE = """
            name string
            cacheManager string
            settings.l1Enabled boolean
            settings.l1MaximumSize number
            settings.l1Ttl string
            settings.l2Enabled boolean
            settings.l2Ttl string
            settings.ttlJitter number
            settings.cacheNullValues boolean
            settings.nullTtl string
            settings.compressionThreshold number
            settings.maxValueSize number
            settings.stampede.enabled boolean
            settings.stampede.lease string
            settings.stampede.maxWait string
            settings.stampede.onTimeout string
            settings.refresh.mode string
            settings.refresh.aheadFraction number
            settings.refresh.xfetchBeta number
            settings.failSafe.enabled boolean
            settings.failSafe.maxStale string
            settings.failSafe.softTimeout string
            settings.failSafe.hardTimeout string
            settings.hotKeys.enabled boolean
            settings.hotKeys.window string
            settings.hotKeys.minReadsPerSecond number
            settings.hotKeys.maxHotKeys number
            settings.hotKeys.sketchWidth number
            settings.hotKeys.l1Ttl string
            settings.hotKeys.replicas number
            hits number
            misses number
            hitRatio number
            l1.enabled boolean
            l1.hits number
            l1.misses number
            l1.hitRatio number
            l1.size number
            l1.sizeEvictions number
            l1.expirations number
            l2.enabled boolean
            l2.hits number
            l2.misses number
            l2.hitRatio number
            loads.count number
            loads.failures number
            loads.totalTimeMillis number
            loads.meanTimeMillis number
            puts number
            evictions number
            clears number
            codecErrors number
            bypasses number
            hotKeys.enabled boolean
            hotKeys.replicas number
            hotKeys.promotions number
            hotKeys.cooldowns number
            hotKeys.replicaHits number
            hotKeys.replicaMisses number
            hotKeys.keys[].key string
            hotKeys.keys[].readsPerSecond number
            hotKeys.keys[].local boolean
            hotKeys.keys[].announced boolean
            hotKeys.keys[].replicated boolean
            """;

    private static final String CACHES = """
            redis.available boolean
            redis.circuitBreaker string
            redis.failures number
            redis.timeouts number
            redis.rejected number
            invalidation.enabled boolean
            invalidation.healthy boolean
            invalidation.l1Degraded boolean
            invalidation.channel string
            invalidation.senderId string
            invalidation.maxStalenessMillis number
            invalidation.peers number
            invalidation.messagesSent number
            invalidation.messagesReceived number
            invalidation.keysSent number
            invalidation.keysReceived number
            invalidation.heartbeatsSent number
            invalidation.heartbeatsReceived number
            invalidation.publishFailures number
            invalidation.gaps number
            invalidation.flushes number
            invalidation.degradations number
            invalidation.lastMessageReceivedAt string
            invalidation.lastHeartbeatRoundTripMillis number
            cacheManagers.*.tags.evictions number
            cacheManagers.*.tags.evictionsReceived number
            cacheManagers.*.tags.fetches number
            cacheManagers.*.tags.owedRecords number
            cacheManagers.*.tags.recordTtlMillis number
            cacheManagers.*.tags.recent[].tag string
            cacheManagers.*.tags.recent[].cache string
            cacheManagers.*.tags.recent[].evictedAt string
            cacheManagers.*.tags.recent[].origin string
            """ + CACHE.lines().map(line -> "cacheManagers.*.caches.*." + line + "\n")
            .reduce("", String::concat);

    private static final String KEY = """
            cache string
            cacheManager string
            key string
            redisKey string
            heldIn[] string
            l1.enabled boolean
            l1.present boolean
            l1.remainingTtlMillis number
            l1.note string
            l2.enabled boolean
            l2.present boolean
            l2.remainingTtlMillis number
            l2.note string
            hot boolean
            tags[] string
            """;

    private static final String EVICTION = """
            cache string
            cacheManager string
            key string
            present boolean
            """;

    private static JsonMapper mapper;

    @BeforeAll
    static void actuatorMapper() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(JacksonEndpointAutoConfiguration.class))
                .run(context -> mapper = context.getBean(EndpointJsonMapper.class).get());
    }

    @Test
    void cacheListHasTheDocumentedFields() {
        assertThat(shapeOf(caches())).isEqualTo(shape(CACHES));
    }

    @Test
    void oneCacheHasTheDocumentedFields() {
        assertThat(shapeOf(cache())).isEqualTo(shape(CACHE));
    }

    @Test
    void oneKeyHasTheDocumentedFields() {
        assertThat(shapeOf(key())).isEqualTo(shape(KEY));
    }

    @Test
    void evictionResultHasTheDocumentedFields() {
        assertThat(shapeOf(new KeyEvictionDescriptor("books", "cacheManager", "42", true))).isEqualTo(shape(EVICTION));
    }

    @Test
    void durationsAndInstantsAreIsoStrings() {
        JsonNode json = mapper.valueToTree(caches());
        JsonNode books = json.get("cacheManagers").get("cacheManager").get("caches").get("books");
        assertThat(books.get("settings").get("l2Ttl").asString()).isEqualTo("PT10M");
        assertThat(books.get("settings").get("failSafe").get("softTimeout").asString()).isEqualTo("PT0S");
        assertThat(json.get("invalidation").get("lastMessageReceivedAt").asString())
                .isEqualTo("2026-11-22T17:19:15.208Z");
    }

    @Test
    void absentOptionalFieldsAreLeftOut() {
        JsonNode json = mapper.valueToTree(new KeyTierDescriptor(true, null, null, null));
        assertThat(json.propertyNames()).containsExactly("enabled");
    }

    @Test
    void responsesAreMadeOfEndpointRecordsAndPlainValuesOnly() {
        Set<Class<?>> seen = new HashSet<>();
        Deque<Type> pending = new ArrayDeque<>(List.of(MultiTierCachesDescriptor.class, CacheDescriptor.class,
                KeyDescriptor.class, KeyEvictionDescriptor.class, MultiTierCacheEndpoint.TagEvictionDescriptor.class,
                MultiTierCacheEndpoint.TagDescriptor.class));
        List<String> engineTypes = new ArrayList<>();
        while (!pending.isEmpty()) {
            Type type = pending.pop();
            if (type instanceof ParameterizedType parameterized) {
                pending.addAll(List.of(parameterized.getActualTypeArguments()));
                type = parameterized.getRawType();
            }
            Class<?> raw = (Class<?>) type;
            if (!seen.add(raw) || raw.isPrimitive() || PLAIN.contains(raw)) {
                continue;
            }
            if (!raw.isRecord() || raw.getEnclosingClass() != MultiTierCacheEndpoint.class) {
                engineTypes.add(raw.getName());
                continue;
            }
            for (RecordComponent component : raw.getRecordComponents()) {
                pending.push(component.getGenericType());
            }
        }
        assertThat(engineTypes).as("types in the responses that are neither plain values nor endpoint records")
                .isEmpty();
    }

    @Test
    void docsExamplesNameOnlyFieldsTheEndpointReturnsAndShowEveryField() throws IOException {
        Map<String, List<String>> sections = jsonExamplesBySection(Files.readString(ENDPOINTS_DOC));
        Map<String, String> oneCache = documented(sections, "GET /actuator/multitiercache/{cache}");
        // The list's example stands for each cache with "...": the example of one cache.
        Map<String, String> list = documented(sections, "GET /actuator/multitiercache");
        list.keySet().removeIf(path -> path.endsWith("..."));
        oneCache.forEach((path, type) -> list.put("cacheManagers.*.caches.*." + path, type));
        assertDocumented("GET /actuator/multitiercache", list, CACHES);
        assertDocumented("GET /actuator/multitiercache/{cache}", oneCache, CACHE);
        assertDocumented("GET /actuator/multitiercache/{cache}/{key}",
                documented(sections, "GET /actuator/multitiercache/{cache}/{key}"), KEY);
        assertDocumented("DELETE /actuator/multitiercache/{cache}/{key}",
                documented(sections, "DELETE /actuator/multitiercache/{cache}/{key}"), EVICTION);
    }

    private static final Set<Class<?>> PLAIN = Set.of(String.class, Boolean.class, Integer.class, Long.class,
            Double.class, Duration.class, Instant.class, List.class, Map.class);

    // ---- responses with every optional field present -----------------------------------------

    private static MultiTierCachesDescriptor caches() {
        return new MultiTierCachesDescriptor(new RedisDescriptor(true, "CLOSED", 0, 0, 0),
                new InvalidationDescriptor(true, true, false, "shop:invalidation", "02e12ba2", 2000L, 1, 69, 36, 27, 0,
                        42, 42, 0, 0, 0, 0, Instant.parse("2026-11-22T17:19:15.208Z"), 1.316),
                Map.of("cacheManager", new CacheManagerDescriptor(Map.of("books", cache()),
                        new MultiTierCacheEndpoint.TagsDescriptor(3, 5, 2, 0, 660_000, List.of(
                                new MultiTierCacheEndpoint.TagEvictionEvent("product:42", "books",
                                        Instant.parse("2026-11-22T17:19:15.208123Z"), "local"))))));
    }

    private static CacheDescriptor cache() {
        return new CacheDescriptor("books", "cacheManager", Descriptions.settings(CacheSettings.defaults()), 1, 0,
                1.0, new L1Descriptor(true, 1, 0, 1.0, 1L, 0, 0), new L2Descriptor(true, 0, 0, 0.0),
                new LoadsDescriptor(1, 0, 12.5, 12.5), 25, 1, 1, 0, 0,
                new HotKeysDescriptor(true, 3, 1, 0, 5120, 3,
                        List.of(new HotKeyDescriptor("42", 1830.4, true, true, true))));
    }

    private static KeyDescriptor key() {
        return new KeyDescriptor("books", "cacheManager", "42", "shop:books:42", List.of("l1", "l2"),
                new KeyTierDescriptor(true, true, 59836L, "a note"),
                new KeyTierDescriptor(true, true, 299831L, "a note"), false, List.of("product:42"));
    }

    // ---- shapes ------------------------------------------------------------------------------

    private static Map<String, String> shape(String lines) {
        Map<String, String> shape = new TreeMap<>();
        lines.lines().filter(line -> !line.isBlank()).forEach(line -> {
            String[] parts = line.trim().split(" ");
            shape.put(parts[0], parts[1]);
        });
        return shape;
    }

    private static Map<String, String> shapeOf(Object response) {
        return shapeOf(mapper.valueToTree(response));
    }

    private static Map<String, String> shapeOf(JsonNode json) {
        Map<String, String> shape = new TreeMap<>();
        flatten(json, "", false, shape);
        return shape;
    }

    private static void flatten(JsonNode node, String path, boolean keysAreNames, Map<String, String> shape) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                String name = keysAreNames ? "*" : property.getKey();
                String child = path.isEmpty() ? name : path + "." + name;
                flatten(property.getValue(), child, !keysAreNames && MAPS.contains(property.getKey()), shape);
            }
        }
        else if (node.isArray()) {
            for (JsonNode element : node.values()) {
                flatten(element, path + "[]", false, shape);
            }
        }
        else {
            shape.put(path, node.isString() ? "string" : node.isNumber() ? "number"
                    : node.isBoolean() ? "boolean" : node.getNodeType().toString());
        }
    }

    // ---- the docs ----------------------------------------------------------------------------

    /** Every ```json block of each "### " section, by the section's heading without backticks. */
    private static Map<String, List<String>> jsonExamplesBySection(String markdown) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        String[] parts = markdown.split("\n### ");
        Pattern json = Pattern.compile("```json\n(.*?)\n```", Pattern.DOTALL);
        for (int i = 1; i < parts.length; i++) {
            String heading = parts[i].lines().findFirst().orElse("").replace("`", "").trim();
            Matcher matcher = json.matcher(parts[i].split("\n## ")[0]);
            List<String> examples = new ArrayList<>();
            while (matcher.find()) {
                examples.add(matcher.group(1));
            }
            sections.put(heading, examples);
        }
        return sections;
    }

    /** The fields, with their JSON types, of every example of one section taken together. */
    private static Map<String, String> documented(Map<String, List<String>> sections, String heading) {
        assertThat(sections).as("a section '### `%s`' in %s", heading, ENDPOINTS_DOC).containsKey(heading);
        Map<String, String> documented = new TreeMap<>();
        for (String example : sections.get(heading)) {
            documented.putAll(shapeOf(mapper.readTree(example)));
        }
        return documented;
    }

    /**
     * Every field of the examples is one the response has, with the same JSON type; every field
     * name of the response is shown somewhere in the examples.
     */
    private static void assertDocumented(String heading, Map<String, String> documented, String expected) {
        Map<String, String> shape = shape(expected);
        assertThat(documented).as("the JSON examples of '%s'", heading).isNotEmpty();
        assertThat(shape).as("fields (and their JSON types) of the examples of '%s'", heading)
                .containsAllEntriesOf(documented);
        Set<String> documentedNames = new HashSet<>();
        documented.keySet().forEach(path -> documentedNames.add(lastName(path)));
        Set<String> names = new HashSet<>();
        shape.keySet().forEach(path -> names.add(lastName(path)));
        assertThat(documentedNames).as("fields shown in the examples of '%s'", heading).containsAll(names);
    }

    private static String lastName(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }
}
