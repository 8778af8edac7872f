package io.github.multitiercache.cdc;

import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * What a changed row evicts. The auto-configuration builds one from {@code multi-tier-cache.cdc.tables}
 * ({@link SpelCdcMapping}); a bean of this type replaces it.
 */
public interface CdcMapping {

    /** @return the tables whose changes are read, as {@code schema.table} */
    Set<String> tables();

    /** @return every cache named by the mapping, checked against the cache manager at startup */
    Set<String> cacheNames();

    /** @return whether the mapping evicts tags (then a {@link CdcTagEvictor} bean is required) */
    boolean hasTags();

    /**
     * Adds what one image of a changed row evicts.
     * @param table {@code schema.table}
     * @param row the row's columns, by name, with Debezium's Java types (int8 a {@code Long}, ...)
     * @param into where the keys and tags go
     * @throws RuntimeException when the mapping cannot be evaluated for this row
     */
    void evictionsOf(String table, Map<String, @Nullable Object> row, CdcEvictions into);

    /**
     * The columns the mapping of a table reads. The consumer checks at start that PostgreSQL sends them in
     * the old row of updates and deletes (the table's {@code REPLICA IDENTITY}), and warns when it does not.
     * @param table {@code schema.table}
     * @return the column names, or {@code null} when not known (the default): the table is then expected
     *         to have {@code REPLICA IDENTITY FULL}
     */
    default @Nullable Set<String> columnsOf(String table) {
        return null;
    }

    /**
     * The caches a {@code TRUNCATE} of the table clears.
     * @param table {@code schema.table}
     * @return the cache names
     */
    Set<String> cachesOf(String table);

    /**
     * The tags a {@code TRUNCATE} of the table evicts: those that do not depend on a row.
     * @param table {@code schema.table}
     * @return the tags; none by default
     */
    default Set<String> constantTagsOf(String table) {
        return Set.of();
    }
}
