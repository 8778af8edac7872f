package io.github.multitiercache.cdc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the change-data-capture consumer, under {@code multi-tier-cache.cdc}. See docs/cdc.md.
 */
@ConfigurationProperties(prefix = "multi-tier-cache.cdc")
public class CdcProperties {

    /** Whether this instance runs the change-data-capture consumer (or stands by for it). */
    private boolean enabled = false;

    /** The PostgreSQL database whose changes are read. */
    private final Database database = new Database();

    /** Name of the logical replication slot; created if missing, never dropped by the consumer. */
    private String slotName = "mtc_cdc";

    /** Name of the publication; created for the mapped tables if missing. */
    private String publicationName = "mtc_cdc";

    /** How long the fleet-wide consumer lease lives without renewal; the holder renews it every third of this. */
    private Duration leaseTtl = Duration.ofSeconds(15);

    /** How long to wait before starting the engine again after it stopped on an error (database down, ...). */
    private Duration restartDelay = Duration.ofSeconds(1);

    /**
     * How long the connector waits before looking at the replication stream again when it had nothing
     * pending (Debezium's poll.interval.ms): adds up to this much to the lag of a change on a quiet database.
     */
    private Duration pollInterval = Duration.ofMillis(20);

    /** Per table ("schema.table"): the cache keys and tags a changed row evicts. */
    private Map<String, Table> tables = new LinkedHashMap<>();

    /** Extra Debezium connector or engine properties; they override the ones the consumer sets. */
    private Map<String, String> debezium = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Database getDatabase() {
        return database;
    }

    public String getSlotName() {
        return slotName;
    }

    public void setSlotName(String slotName) {
        this.slotName = slotName;
    }

    public String getPublicationName() {
        return publicationName;
    }

    public void setPublicationName(String publicationName) {
        this.publicationName = publicationName;
    }

    public Duration getLeaseTtl() {
        return leaseTtl;
    }

    public void setLeaseTtl(Duration leaseTtl) {
        this.leaseTtl = leaseTtl;
    }

    public Duration getRestartDelay() {
        return restartDelay;
    }

    public void setRestartDelay(Duration restartDelay) {
        this.restartDelay = restartDelay;
    }

    public Duration getPollInterval() {
        return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
        this.pollInterval = pollInterval;
    }

    public Map<String, Table> getTables() {
        return tables;
    }

    public void setTables(Map<String, Table> tables) {
        this.tables = tables;
    }

    public Map<String, String> getDebezium() {
        return debezium;
    }

    public void setDebezium(Map<String, String> debezium) {
        this.debezium = debezium;
    }

    /** Where the database is. */
    public static class Database {

        /** Host name of the PostgreSQL server. */
        private String host = "localhost";

        /** Port of the PostgreSQL server. */
        private int port = 5432;

        /** Database name. */
        private String name = "postgres";

        /** User: needs the REPLICATION attribute, and ownership of the tables for the publication to be created. */
        private String username = "postgres";

        /** Password. */
        private @Nullable String password;

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = port;
        }

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public @Nullable String getPassword() {
            return password;
        }

        public void setPassword(@Nullable String password) {
            this.password = password;
        }
    }

    /** What a changed row of one table evicts. */
    public static class Table {

        /** Cache keys: a cache name and a SpEL template over the row's columns, e.g. "#{id}". */
        private List<Evict> evict = new ArrayList<>();

        /** Tags: SpEL templates over the row's columns, e.g. "category:#{category_id}". */
        private List<String> tags = new ArrayList<>();

        public List<Evict> getEvict() {
            return evict;
        }

        public void setEvict(List<Evict> evict) {
            this.evict = evict;
        }

        public List<String> getTags() {
            return tags;
        }

        public void setTags(List<String> tags) {
            this.tags = tags;
        }
    }

    /** One key eviction. */
    public static class Evict {

        /** The cache. */
        private String cache = "";

        /** The key, a SpEL template over the row's columns. */
        private String key = "";

        public String getCache() {
            return cache;
        }

        public void setCache(String cache) {
            this.cache = cache;
        }

        public String getKey() {
            return key;
        }

        public void setKey(String key) {
            this.key = key;
        }
    }
}
