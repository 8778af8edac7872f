package io.github.multitiercache.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.multitiercache.testsupport.PostgresServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The replica identity check against a real PostgreSQL: a table whose mapping reads a column its old rows
 * do not carry gets one WARN with the fix, a table with {@code REPLICA IDENTITY FULL} or a mapping over
 * its key only gets none, and nothing is altered.
 */
@ExtendWith(OutputCaptureExtension.class)
class ReplicaIdentityCheckTests {

    private static PostgresServer postgres;

    @BeforeAll
    static void start() {
        postgres = PostgresServer.start();
        postgres.sql("CREATE TABLE ri_full (id bigint PRIMARY KEY, category_id int);"
                + " ALTER TABLE ri_full REPLICA IDENTITY FULL;"
                + " CREATE TABLE ri_default (id bigint PRIMARY KEY, category_id int);"
                + " CREATE TABLE ri_key_only (id bigint PRIMARY KEY, category_id int);"
                + " CREATE TABLE ri_nothing (id bigint PRIMARY KEY);"
                + " ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING;"
                + " CREATE TABLE \"RiMixed\" (id bigint PRIMARY KEY, category_id int)");
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static CdcProperties.Table table(String key, String... tags) {
        CdcProperties.Evict evict = new CdcProperties.Evict();
        evict.setCache("products");
        evict.setKey(key);
        CdcProperties.Table table = new CdcProperties.Table();
        table.getEvict().add(evict);
        table.getTags().addAll(List.of(tags));
        return table;
    }

    private static List<CdcStatus.TableIdentity> check(CdcMapping mapping) throws Exception {
        try (Connection jdbc = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER, "")) {
            return ReplicaIdentityCheck.check(jdbc, mapping, List.copyOf(mapping.tables()));
        }
    }

    @Test
    void aTableWhoseMappingReadsAColumnOutsideItsPrimaryKeyGetsOneWarningWithTheFix(CapturedOutput output)
            throws Exception {
        Map<String, CdcProperties.Table> tables = new LinkedHashMap<>();
        tables.put("public.ri_full", table("#{id}", "category:#{category_id}"));
        tables.put("public.ri_default", table("#{id}", "category:#{category_id}"));
        tables.put("public.ri_key_only", table("#{id}", "product:#{id}"));
        tables.put("public.ri_nothing", table("#{id}"));
        tables.put("public.RiMixed", table("#{id}", "category:#{category_id}"));
        tables.put("public.ri_missing", table("#{id}"));

        List<CdcStatus.TableIdentity> findings = check(SpelCdcMapping.of(tables));

        assertThat(findings).extracting(CdcStatus.TableIdentity::table, CdcStatus.TableIdentity::replicaIdentity,
                CdcStatus.TableIdentity::columnsMissed, CdcStatus.TableIdentity::fix).containsExactly(
                        tuple("public.ri_full", "FULL", List.of(), null),
                        tuple("public.ri_default", "DEFAULT", List.of("category_id"),
                                "ALTER TABLE public.ri_default REPLICA IDENTITY FULL;"),
                        tuple("public.ri_key_only", "DEFAULT", List.of(), null),
                        tuple("public.ri_nothing", "NOTHING", List.of("id"),
                                "ALTER TABLE public.ri_nothing REPLICA IDENTITY FULL;"),
                        tuple("public.RiMixed", "DEFAULT", List.of("category_id"),
                                "ALTER TABLE public.\"RiMixed\" REPLICA IDENTITY FULL;"),
                        tuple("public.ri_missing", "NOT FOUND", List.of(), null));
        assertThat(findings.get(1).identityColumns()).containsExactly("id");
        String log = output.getOut() + output.getErr();
        assertThat(log.split("ALTER TABLE public.ri_default REPLICA IDENTITY FULL", -1)).hasSize(2);
        assertThat(log).contains("table public.ri_default has REPLICA IDENTITY DEFAULT (id) but its mapping reads"
                + " [category_id] too");
        assertThat(log).doesNotContain("table public.ri_full ").doesNotContain("table public.ri_key_only ");
        assertThat(log).contains("public.ri_missing was not found");
        assertThat(postgres.sql("SELECT relreplident FROM pg_class WHERE relname = 'ri_default'").trim())
                .as("not altered").isEqualTo("d");
    }

    @Test
    void aMappingThatDoesNotSayWhichColumnsItReadsExpectsFull() throws Exception {
        CdcMapping custom = new CdcMapping() {
            @Override
            public Set<String> tables() {
                return Set.of("public.ri_key_only", "public.ri_full");
            }

            @Override
            public Set<String> cacheNames() {
                return Set.of();
            }

            @Override
            public boolean hasTags() {
                return false;
            }

            @Override
            public void evictionsOf(String table, Map<String, @Nullable Object> row, CdcEvictions into) {
            }

            @Override
            public Set<String> cachesOf(String table) {
                return Set.of();
            }
        };

        try (Connection jdbc = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER, "")) {
            List<CdcStatus.TableIdentity> findings = ReplicaIdentityCheck.check(jdbc, custom,
                    List.of("public.ri_key_only", "public.ri_full"));
            assertThat(findings.get(0).fix()).isEqualTo("ALTER TABLE public.ri_key_only REPLICA IDENTITY FULL;");
            assertThat(findings.get(1).fix()).isNull();
        }
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }
}
