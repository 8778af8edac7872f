package io.github.multitiercache.cdc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Checks that PostgreSQL sends, in the old row of an {@code UPDATE} and a {@code DELETE}, every column
 * the mapping of a table reads. It sends the whole old row only with {@code REPLICA IDENTITY FULL};
 * otherwise only the replica identity's columns (the primary key by default, none with {@code NOTHING})
 * for a delete, and no old row at all for an update that keeps the key. A mapping that reads another
 * column then misses what the old value named: an update moving a row from category 10 to 20 evicts
 * {@code category:20} only, a delete evicts nothing that depends on that column. Each such table gets
 * one WARN with the statement that fixes it; nothing is altered.
 */
final class ReplicaIdentityCheck {

    private static final Log logger = LogFactory.getLog(ReplicaIdentityCheck.class);

    private static final String QUERY = """
            SELECT c.relreplident::text,
                   ARRAY(SELECT a.attname::text
                           FROM pg_index i
                           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                          WHERE i.indrelid = c.oid
                            AND CASE WHEN c.relreplident = 'i' THEN i.indisreplident ELSE i.indisprimary END
                          ORDER BY a.attnum)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ? AND c.relname = ?
            """;

    private ReplicaIdentityCheck() {
    }

    /**
     * Checks the tables over a short JDBC connection of the consumer's database settings.
     * @return one finding per table, in the mapping's order
     * @throws SQLException when the database cannot be reached or queried
     */
    static List<CdcStatus.TableIdentity> check(CdcProperties properties, CdcMapping mapping, List<String> tables)
            throws SQLException {
        CdcProperties.Database database = properties.getDatabase();
        Properties connection = new Properties();
        connection.setProperty("user", database.getUsername());
        if (database.getPassword() != null) {
            connection.setProperty("password", database.getPassword());
        }
        connection.setProperty("connectTimeout", "10");
        connection.setProperty("socketTimeout", "10");
        String sslMode = properties.getDebezium().get("database.sslmode");
        if (sslMode != null) {
            connection.setProperty("sslmode", sslMode);
        }
        String url = "jdbc:postgresql://" + database.getHost() + ":" + database.getPort() + "/" + database.getName();
        try (Connection jdbc = DriverManager.getConnection(url, connection)) {
            return check(jdbc, mapping, tables);
        }
    }

    /** Checks the tables over {@code jdbc}, logging one WARN per table that misses columns. */
    static List<CdcStatus.TableIdentity> check(Connection jdbc, CdcMapping mapping, List<String> tables)
            throws SQLException {
        List<CdcStatus.TableIdentity> findings = new ArrayList<>();
        try (PreparedStatement query = jdbc.prepareStatement(QUERY)) {
            for (String table : tables) {
                int dot = table.indexOf('.');
                query.setString(1, table.substring(0, dot));
                query.setString(2, table.substring(dot + 1));
                try (ResultSet result = query.executeQuery()) {
                    CdcStatus.TableIdentity finding = result.next()
                            ? judge(table, result.getString(1), keyColumns(result.getArray(2)), mapping.columnsOf(table))
                            : new CdcStatus.TableIdentity(table, "NOT FOUND", List.of(), List.of(), null);
                    if (finding.fix() != null || "NOT FOUND".equals(finding.replicaIdentity())) {
                        logger.warn(message(finding));
                    }
                    findings.add(finding);
                }
            }
        }
        return findings;
    }

    private static List<String> keyColumns(@Nullable Array array) throws SQLException {
        if (array == null) {
            return List.of();
        }
        return Arrays.stream((Object[]) array.getArray()).map(String::valueOf).toList();
    }

    /**
     * @param code {@code pg_class.relreplident}: d (default: the primary key), n (nothing), f (full), i (index)
     * @param identityColumns the primary key's columns for d, the index's for i
     * @param read the columns the mapping reads, {@code null} when unknown
     */
    static CdcStatus.TableIdentity judge(String table, String code, List<String> identityColumns,
            @Nullable Set<String> read) {
        String identity = switch (code) {
            case "f" -> "FULL";
            case "n" -> "NOTHING";
            case "i" -> "INDEX";
            default -> "DEFAULT";
        };
        List<String> sent = "n".equals(code) ? List.of() : identityColumns;
        if ("f".equals(code)) {
            return new CdcStatus.TableIdentity(table, identity, List.of(), List.of(), null);
        }
        List<String> missed;
        if (read == null) {
            missed = List.of("(unknown: the CdcMapping bean does not say which columns it reads)");
        } else {
            Set<String> outside = new LinkedHashSet<>(read);
            sent.forEach(outside::remove);
            missed = List.copyOf(outside);
        }
        String fix = missed.isEmpty() ? null : "ALTER TABLE " + quoted(table) + " REPLICA IDENTITY FULL;";
        return new CdcStatus.TableIdentity(table, identity, List.copyOf(sent), missed, fix);
    }

    private static String message(CdcStatus.TableIdentity finding) {
        if (finding.fix() == null) {
            return "Change data capture: the mapped table " + finding.table() + " was not found in the database;"
                    + " its replica identity could not be checked";
        }
        return "Change data capture: table " + finding.table() + " has REPLICA IDENTITY " + finding.replicaIdentity()
                + (finding.identityColumns().isEmpty() ? "" : " (" + String.join(", ", finding.identityColumns()) + ")")
                + " but its mapping reads " + finding.columnsMissed() + " too: PostgreSQL sends no old row for an"
                + " UPDATE and only the identity's columns for a DELETE, so the old values of these columns are"
                + " missed (an update that changes them does not evict what the old values named, a delete evicts"
                + " nothing that depends on them). Fix, as the table's owner: " + finding.fix();
    }

    /** {@code schema.table}, each part double-quoted unless it is a plain lower-case identifier. */
    static String quoted(String table) {
        int dot = table.indexOf('.');
        return quote(table.substring(0, dot)) + "." + quote(table.substring(dot + 1));
    }

    private static String quote(String identifier) {
        return identifier.matches("[a-z_][a-z0-9_$]*") ? identifier : "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
