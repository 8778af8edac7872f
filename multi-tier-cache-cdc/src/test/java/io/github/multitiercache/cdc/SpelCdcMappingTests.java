package io.github.multitiercache.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.multitiercache.core.DefaultCacheKeyConverter;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class SpelCdcMappingTests {

    private static CdcProperties.Table table(String cache, String key, String... tags) {
        CdcProperties.Evict evict = new CdcProperties.Evict();
        evict.setCache(cache);
        evict.setKey(key);
        CdcProperties.Table table = new CdcProperties.Table();
        table.getEvict().add(evict);
        table.getTags().addAll(List.of(tags));
        return table;
    }

    private static SpelCdcMapping mapping(CdcProperties.Table table) {
        Map<String, CdcProperties.Table> tables = new LinkedHashMap<>();
        tables.put("public.products", table);
        return SpelCdcMapping.of(tables);
    }

    private static Map<String, @Nullable Object> row(Object... columns) {
        Map<String, @Nullable Object> row = new HashMap<>();
        for (int i = 0; i < columns.length; i += 2) {
            row.put((String) columns[i], columns[i + 1]);
        }
        return row;
    }

    @Test
    void theColumnsATableReadsAreTheHeadsOfItsTemplatesExpressions() {
        SpelCdcMapping mapping = mapping(table("products", "p-#{id}", "category:#{category_id}", "per-unit:#{100 / qty}",
                "name:#{name.length}", "code:#{['sku']}"));

        assertThat(mapping.columnsOf("public.products")).containsExactly("id", "category_id", "qty", "name", "sku");
        assertThat(mapping.columnsOf("public.other")).isNull();
    }

    @Test
    void aKeyThatIsOneExpressionKeepsTheColumnsTypeAndHasTheKeyTextOfCacheableFindLong() {
        CdcEvictions evictions = new CdcEvictions();
        // Debezium gives an int8 column as a Long, an int4 as an Integer.
        mapping(table("products", "#{id}")).evictionsOf("public.products", row("id", 17L), evictions);

        Object key = evictions.keys().get("products").iterator().next();
        assertThat(key).isEqualTo(17L);
        Long applicationKey = 17L; // what @Cacheable find(Long id) caches under
        assertThat(DefaultCacheKeyConverter.INSTANCE.convert(key))
                .isEqualTo(DefaultCacheKeyConverter.INSTANCE.convert(applicationKey)).isEqualTo("17");
        assertThat(DefaultCacheKeyConverter.INSTANCE.convert(17)).isEqualTo("17");
    }

    @Test
    void templatesWithTextGiveTextAndTagsComeFromEveryTemplate() {
        CdcEvictions evictions = new CdcEvictions();
        mapping(table("products", "p-#{id}", "product:#{id}", "category:#{category_id}"))
                .evictionsOf("public.products", row("id", 5L, "category_id", 10), evictions);

        assertThat(evictions.keys()).isEqualTo(Map.of("products", Set.of("p-5")));
        assertThat(evictions.tags()).containsExactly("product:5", "category:10");
    }

    @Test
    void aNullColumnEvictsNothingForItsTemplate() {
        CdcEvictions evictions = new CdcEvictions();
        mapping(table("products", "#{id}", "category:#{category_id}"))
                .evictionsOf("public.products", row("id", 5L, "category_id", null), evictions);

        assertThat(evictions.keys().get("products")).containsExactly(5L);
        assertThat(evictions.tags()).isEmpty();
    }

    @Test
    void aMissingColumnIsAMappingFailure() {
        SpelCdcMapping mapping = mapping(table("products", "#{sku}"));
        assertThatThrownBy(() -> mapping.evictionsOf("public.products", row("id", 5L), new CdcEvictions()))
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void theEvaluationContextReachesTheRowOnlyNotTypesOrBeans() {
        SpelCdcMapping mapping = mapping(table("products", "#{T(java.lang.Runtime).getRuntime()}"));
        assertThatThrownBy(() -> mapping.evictionsOf("public.products", row("id", 5L), new CdcEvictions()))
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void anUnparsableTemplateIsRejectedNamingTheTableAndTemplate() {
        assertThatThrownBy(() -> mapping(table("products", "#{id +}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multi-tier-cache.cdc.tables[public.products].evict[0].key")
                .hasMessageContaining("#{id +}");
        assertThatThrownBy(() -> mapping(table("products", "#{id}", "category:#{category_id")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tags[0]");
    }

    @Test
    void aConstantTagIsEvictedByEveryRowOfItsTableAndByATruncate() {
        CdcEvictions evictions = new CdcEvictions();
        SpelCdcMapping mapping = mapping(table("products", "#{id}", "products:all", "product:#{id}"));
        mapping.evictionsOf("public.products", row("id", 1L), evictions);
        mapping.evictionsOf("public.products", row("id", 2L), evictions);
        assertThat(evictions.tags()).containsExactlyInAnyOrder("products:all", "product:1", "product:2");
        assertThat(mapping.constantTagsOf("public.products")).containsExactly("products:all");
        assertThat(mapping.constantTagsOf("public.other")).isEmpty();
    }

    @Test
    void aKeyTemplateWithoutExpressionAndABadTableNameAreRejected() {
        assertThatThrownBy(() -> mapping(table("products", "id")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no #{...} expression");
        Map<String, CdcProperties.Table> tables = Map.of("products", table("products", "#{id}"));
        assertThatThrownBy(() -> SpelCdcMapping.of(tables))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema.table");
    }

    @Test
    void aTruncateClearsTheCachesOfItsTableOnly() {
        SpelCdcMapping mapping = mapping(table("products", "#{id}", "product:#{id}"));
        assertThat(mapping.cachesOf("public.products")).containsExactly("products");
        assertThat(mapping.cachesOf("public.other")).isEmpty();
        assertThat(mapping.hasTags()).isTrue();
        assertThat(mapping.cacheNames()).containsExactly("products");
    }
}
