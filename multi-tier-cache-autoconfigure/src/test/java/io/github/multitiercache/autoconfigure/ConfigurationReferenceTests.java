package io.github.multitiercache.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.core.convert.ConversionService;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps {@code docs/configuration.md} in step with the configuration metadata that IDEs show
 * (generated from {@link MultiTierCacheProperties} and merged with
 * {@code additional-spring-configuration-metadata.json}), and that metadata in step with the
 * built-in defaults of the code.
 *
 * <p>How the docs are read: every Markdown table whose first header cell is {@code Property}
 * lists full property names; one whose first header cell is {@code Cache option} lists the cache
 * options once, relative to both {@code multi-tier-cache.defaults.} and
 * {@code multi-tier-cache.caches.<cache-name>.}. The name cell is one code span. The cell under the
 * {@code Default} header states a default when it is one code span without a {@code <placeholder>}
 * ({@code `10m`}); anything else ({@code none}, {@code `<key-prefix>:invalidation`}) describes a
 * default that has no fixed value. Stated defaults are compared as values of the property's type,
 * so {@code `0`} and {@code 0ms} are the same duration and {@code `LOAD`} and {@code load} the same
 * enum constant.
 */
class ConfigurationReferenceTests {

    private static final Path DOCS = Path.of("..", "docs");
    private static final Path REFERENCE = DOCS.resolve("configuration.md");
    private static final String PREFIX = "multi-tier-cache.";
    private static final String CACHE_DEFAULTS = "multi-tier-cache.defaults.";
    /** An option of one named cache; a name with dots is written in brackets. */
    private static final Pattern ONE_CACHE = Pattern.compile("^multi-tier-cache\\.caches\\.(?:\\[[^]]+]|[^.\\[]+)\\.(.+)$");
    private static final Pattern CODE_SPAN = Pattern.compile("^`([^`]+)`$");
    private static final Pattern CELL_SEPARATOR = Pattern.compile("(?<!\\\\)\\|");
    private static final ConversionService conversion = ApplicationConversionService.getSharedInstance();

    private final Map<String, MetadataProperty> metadata = readMetadata();

    @Test
    void metadataListsTheCacheOptionsAndTheGlobalOptions() {
        // Guards the other tests against passing on an empty or foreign metadata file.
        assertThat(metadata).containsKeys("multi-tier-cache.key-prefix", "multi-tier-cache.defaults.l2.ttl",
                "multi-tier-cache.invalidation.max-staleness");
    }

    @Test
    void everyPropertyIsDocumentedInTheConfigurationReference() {
        List<DocumentedRow> rows = rowsOf(REFERENCE);
        List<String> offenders = new ArrayList<>();
        for (String name : metadata.keySet()) {
            if (!name.startsWith(PREFIX) || metadata.get(name).deprecatedWithError()) {
                continue;
            }
            long rowsNamingIt = rows.stream().filter(row -> row.names(name)).count();
            if (rowsNamingIt == 0) {
                offenders.add(name + " is not documented in " + REFERENCE.getFileName()
                        + (name.startsWith(CACHE_DEFAULTS) ? " (add `" + name.substring(CACHE_DEFAULTS.length())
                                + "` to the 'Cache option' table)" : ""));
            }
            else if (rowsNamingIt > 1) {
                offenders.add(name + " is documented " + rowsNamingIt + " times in " + REFERENCE.getFileName());
            }
        }
        assertThat(offenders).as("properties missing from the configuration reference").isEmpty();
    }

    @Test
    void everyDocumentedPropertyExists() {
        List<String> offenders = new ArrayList<>();
        for (DocumentedRow row : rowsOfAllDocs()) {
            if (row.metadataName().startsWith(PREFIX) && !metadata.containsKey(row.metadataName())) {
                offenders.add(row + " documents " + row.metadataName() + ", which is not in the metadata");
            }
        }
        assertThat(offenders).as("documented properties that do not exist").isEmpty();
    }

    @Test
    void everyDocumentedDefaultIsTheMetadataDefault() {
        List<String> offenders = new ArrayList<>();
        for (DocumentedRow row : rowsOfAllDocs()) {
            MetadataProperty property = metadata.get(row.metadataName());
            if (property == null || row.defaultCell() == null) {
                continue;
            }
            String stated = statedDefault(row.defaultCell());
            Object declared = property.defaultValue();
            if (stated == null && declared != null) {
                offenders.add(row + " states no default for " + row.name() + " but the metadata says "
                        + text(declared));
            }
            else if (stated != null && declared == null) {
                offenders.add(row + " states default `" + stated + "` for " + row.name() + " but the metadata"
                        + " declares none (declare it in additional-spring-configuration-metadata.json, or describe"
                        + " a default without a fixed value in words)");
            }
            else if (stated != null && !sameValue(property, stated)) {
                offenders.add(row + " states default `" + stated + "` for " + row.name() + " but the metadata says "
                        + text(Objects.requireNonNull(declared)));
            }
        }
        assertThat(offenders).as("documented defaults that differ from the metadata").isEmpty();
    }

    @Test
    void metadataDefaultOfEveryCacheOptionIsTheBuiltInDefault() {
        CacheSettings builtIn = CacheSettings.defaults();
        List<String> offenders = new ArrayList<>();
        for (MetadataProperty property : metadata.values()) {
            if (!property.name().startsWith(CACHE_DEFAULTS)) {
                continue;
            }
            if (property.defaultValue() == null) {
                offenders.add(property.name() + " declares no default; every cache option has a built-in default,"
                        + " declare it in additional-spring-configuration-metadata.json");
                continue;
            }
            String value = text(property.defaultValue());
            MultiTierCacheProperties bound = new Binder(new MapConfigurationPropertySource(Map.of(property.name(), value)))
                    .bindOrCreate("multi-tier-cache", MultiTierCacheProperties.class);
            CacheOptions options = bound.getDefaults().toOptions("multi-tier-cache.defaults");
            if (options.equals(CacheOptions.none())) {
                offenders.add(property.name() + "=" + value + " sets no cache option: it is not passed on by"
                        + " CacheSpec.toOptions");
                continue;
            }
            CacheSettings applied = builtIn.toBuilder().apply(options).build();
            List<String> differences = differences("", builtIn, applied);
            if (!differences.isEmpty()) {
                offenders.add(property.name() + ": the metadata default " + value + " is not the built-in default ("
                        + String.join(", ", differences) + ")");
            }
        }
        assertThat(offenders).as("metadata defaults of cache options that are not CacheSettings.defaults()").isEmpty();
    }

    @Test
    void tablesAreReadAsDocumented() {
        // The reading rules above, on a table of each kind: proves the other tests see the rows.
        List<DocumentedRow> rows = rowsOf(REFERENCE);
        assertThat(rows).anySatisfy(row -> {
            assertThat(row.name()).isEqualTo("multi-tier-cache.key-prefix");
            assertThat(statedDefault(Objects.requireNonNull(row.defaultCell()))).isEqualTo("mtc");
        });
        assertThat(rows).anySatisfy(row -> {
            assertThat(row.name()).isEqualTo("l1.ttl");
            assertThat(row.perCache()).isTrue();
            assertThat(row.metadataName()).isEqualTo("multi-tier-cache.defaults.l1.ttl");
        });
        assertThat(new DocumentedRow("example.md", 1, "multi-tier-cache.caches.products.l2.ttl", "`1h`", false)
                .metadataName()).isEqualTo("multi-tier-cache.defaults.l2.ttl");
        assertThat(new DocumentedRow("example.md", 1, "multi-tier-cache.caches.[eu.rates].l1.enabled", "`false`", false)
                .metadataName()).isEqualTo("multi-tier-cache.defaults.l1.enabled");
        assertThat(statedDefault("`<key-prefix>:invalidation`")).isNull();
        assertThat(statedDefault("none")).isNull();
        assertThat(sameValue(metadata.get("multi-tier-cache.defaults.fail-safe.soft-timeout"), "0")).isTrue();
        assertThat(sameValue(metadata.get("multi-tier-cache.defaults.stampede.on-timeout"), "LOAD")).isTrue();
        assertThat(sameValue(metadata.get("multi-tier-cache.defaults.l2.ttl"), "1m")).isFalse();
    }

    // ---- the metadata ------------------------------------------------------------------------

    /** The metadata file that declares the {@code multi-tier-cache} group, by property name. */
    private static Map<String, MetadataProperty> readMetadata() {
        List<Map<String, Object>> ours = new ArrayList<>();
        try {
            for (URL url : Collections.list(ConfigurationReferenceTests.class.getClassLoader()
                    .getResources("META-INF/spring-configuration-metadata.json"))) {
                try (InputStream in = url.openStream()) {
                    Map<String, Object> json = JsonParserFactory.getJsonParser()
                            .parseMap(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    if (listOfMaps(json.get("groups")).stream().anyMatch(group -> "multi-tier-cache".equals(group.get("name")))) {
                        ours.add(json);
                    }
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        assertThat(ours).as("metadata files declaring the multi-tier-cache group").hasSize(1);
        Map<String, MetadataProperty> properties = new LinkedHashMap<>();
        for (Map<String, Object> property : listOfMaps(ours.get(0).get("properties"))) {
            Object deprecation = property.get("deprecation");
            boolean error = deprecation instanceof Map<?, ?> map && "error".equals(map.get("level"));
            String name = (String) property.get("name");
            properties.put(name, new MetadataProperty(name, (String) property.get("type"), property.get("defaultValue"),
                    error));
        }
        return properties;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> listOfMaps(@Nullable Object value) {
        return (value instanceof List<?> list) ? (List<Map<String, Object>>) list : List.of();
    }

    /** The metadata default as the text one would write in application.properties. */
    private static String text(Object value) {
        if (value instanceof List<?> list) {
            return String.join(",", list.stream().map(String::valueOf).toList());
        }
        return String.valueOf(value);
    }

    /** Whether a stated default is the property's metadata default, compared as values of its type. */
    private static boolean sameValue(MetadataProperty property, String stated) {
        String declared = text(Objects.requireNonNull(property.defaultValue()));
        Class<?> type = loadType(property.type());
        if (type == null || !conversion.canConvert(String.class, type)) {
            return declared.equals(stated);
        }
        try {
            return Objects.equals(conversion.convert(declared, type), conversion.convert(stated, type));
        }
        catch (RuntimeException ex) {
            return false;
        }
    }

    private static @Nullable Class<?> loadType(@Nullable String type) {
        if (type == null) {
            return null;
        }
        int generic = type.indexOf('<');
        String raw = (generic < 0) ? type : type.substring(0, generic);
        try {
            return ClassUtils.forName(raw, ConfigurationReferenceTests.class.getClassLoader());
        }
        catch (ClassNotFoundException | LinkageError ex) {
            return null;
        }
    }

    /** The record components, by path, in which two records of one type differ. */
    private static List<String> differences(String path, Record expected, Record actual) {
        List<String> differences = new ArrayList<>();
        for (RecordComponent component : expected.getClass().getRecordComponents()) {
            Object left = value(component, expected);
            Object right = value(component, actual);
            String name = path + component.getName();
            if (left instanceof Record leftRecord && right instanceof Record rightRecord) {
                differences.addAll(differences(name + ".", leftRecord, rightRecord));
            }
            else if (!Objects.equals(left, right)) {
                differences.add(name + " would be " + right + " instead of " + left);
            }
        }
        return differences;
    }

    private static @Nullable Object value(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    // ---- the docs ----------------------------------------------------------------------------

    /**
     * The text of a default cell when it states a fixed default: one code span without a
     * {@code <placeholder>}; {@code null} when it describes the default otherwise.
     */
    private static @Nullable String statedDefault(String cell) {
        Matcher code = CODE_SPAN.matcher(cell.strip());
        return (code.matches() && !code.group(1).contains("<")) ? code.group(1) : null;
    }

    private static List<DocumentedRow> rowsOfAllDocs() {
        try (Stream<Path> files = Files.list(DOCS)) {
            return files.filter(file -> file.toString().endsWith(".md")).sorted()
                    .flatMap(file -> rowsOf(file).stream()).toList();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The rows of a file's property tables. */
    private static List<DocumentedRow> rowsOf(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        List<DocumentedRow> rows = new ArrayList<>();
        boolean fenced = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced || !line.startsWith("|") || i + 1 >= lines.size() || !lines.get(i + 1).strip().startsWith("|-")) {
                continue;
            }
            List<String> header = cells(line);
            boolean perCache = header.get(0).equalsIgnoreCase("Cache option");
            if (!perCache && !header.get(0).equalsIgnoreCase("Property")) {
                continue;
            }
            int defaultColumn = header.stream().map(String::toLowerCase).toList().indexOf("default");
            int row = i + 2;
            for (; row < lines.size() && lines.get(row).strip().startsWith("|"); row++) {
                List<String> cells = cells(lines.get(row).strip());
                Matcher name = CODE_SPAN.matcher(cells.get(0));
                if (!name.matches()) {
                    throw new IllegalStateException(file + ":" + (row + 1) + ": the first cell of a property table"
                            + " must be one code span naming the property, but is: " + cells.get(0));
                }
                String defaultCell = (defaultColumn >= 0 && defaultColumn < cells.size()) ? cells.get(defaultColumn) : null;
                rows.add(new DocumentedRow(file.getFileName().toString(), row + 1, name.group(1), defaultCell, perCache));
            }
            i = row - 1;
        }
        return rows;
    }

    private static List<String> cells(String line) {
        String inner = line.substring(1, line.endsWith("|") && line.length() > 1 ? line.length() - 1 : line.length());
        return Stream.of(CELL_SEPARATOR.split(inner, -1)).map(String::strip).toList();
    }

    /**
     * A property as the metadata declares it.
     * @param name its full name
     * @param type its type, as a class name with generics
     * @param defaultValue its default, as JSON read it; {@code null} when none is declared
     * @param deprecatedWithError whether it is deprecated with level "error" (no longer supported)
     */
    private record MetadataProperty(String name, @Nullable String type, @Nullable Object defaultValue,
            boolean deprecatedWithError) {
    }

    /**
     * One row of a property table in the docs.
     * @param file the file name
     * @param line its line number, from 1
     * @param name the name as written: full, or relative for a cache option
     * @param defaultCell the content of its Default cell, {@code null} without such a column
     * @param perCache whether it is a cache option (relative to {@code multi-tier-cache.defaults.}
     *        and {@code multi-tier-cache.caches.<cache-name>.})
     */
    private record DocumentedRow(String file, int line, String name, @Nullable String defaultCell, boolean perCache) {

        /**
         * The metadata entry it documents: for a cache option, relative or written for one cache
         * ({@code multi-tier-cache.caches.products.l2.ttl}), the one under {@code defaults}.
         */
        String metadataName() {
            if (perCache) {
                return CACHE_DEFAULTS + name;
            }
            Matcher oneCache = ONE_CACHE.matcher(name);
            return oneCache.matches() ? CACHE_DEFAULTS + oneCache.group(1) : name;
        }

        boolean names(String property) {
            return metadataName().equals(property);
        }

        @Override
        public String toString() {
            return file + ":" + line;
        }
    }
}
