package io.github.multitiercache.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class PostgresServerTest {

    @Test
    void startsAPrivateClusterForLogicalReplicationOnAPortThatIsNot5432() {
        try (PostgresServer postgres = PostgresServer.start()) {
            assertThat(postgres.port()).isNotEqualTo(5432);
            assertThat(postgres.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + postgres.port() + "/postgres");
            assertThat(postgres.sql("SHOW wal_level")).isEqualTo("logical");
            assertThat(Integer.parseInt(postgres.sql("SHOW max_replication_slots"))).isPositive();
            assertThat(Integer.parseInt(postgres.sql("SHOW max_wal_senders"))).isPositive();
            assertThat(postgres.sql("SHOW port")).isEqualTo(Integer.toString(postgres.port()));
        }
    }

    @Test
    void stopRestartAndKillKeepTheDataAndTheReplicationSlots() {
        try (PostgresServer postgres = PostgresServer.start()) {
            postgres.sql("CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)");
            postgres.sql("SELECT pg_create_logical_replication_slot('s1', 'pgoutput')");

            postgres.stop();
            assertThat(postgres.isRunning()).isFalse();
            postgres.restart();
            assertThat(postgres.sql("SELECT count(*) FROM t")).isEqualTo("1");

            postgres.kill();
            assertThat(postgres.isRunning()).isFalse();
            postgres.restart();
            assertThat(postgres.sql("SELECT slot_name FROM pg_replication_slots")).isEqualTo("s1");
            assertThat(postgres.sql("SELECT count(*) FROM t")).isEqualTo("1");
        }
    }

    @Test
    void closeStopsTheServerAndDeletesItsDirectory() {
        PostgresServer postgres = PostgresServer.start();
        Path directory = postgres.directory();
        assertThat(directory).isDirectory();

        postgres.close();

        assertThat(postgres.isRunning()).isFalse();
        assertThat(Files.exists(directory)).isFalse();
    }
}
