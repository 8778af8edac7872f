package io.github.multitiercache.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;
import org.springframework.cache.concurrent.ConcurrentMapCache;

/** The applier over hand-built Debezium records, without a database. */
class ChangeApplierTests {

    private static final Schema ROW = SchemaBuilder.struct().optional()
            .field("id", Schema.INT64_SCHEMA)
            .field("category_id", Schema.OPTIONAL_INT32_SCHEMA)
            .field("qty", Schema.OPTIONAL_INT32_SCHEMA)
            .build();

    private static final Schema SOURCE = SchemaBuilder.struct()
            .field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .build();

    private static final Schema ENVELOPE = SchemaBuilder.struct()
            .field("before", ROW)
            .field("after", ROW)
            .field("source", SOURCE)
            .field("op", Schema.STRING_SCHEMA)
            .build();

    private final ConcurrentMapCache products = new ConcurrentMapCache("products");

    private final List<List<String>> tagCalls = new ArrayList<>();

    private final Clock clock = Clock.fixed(Instant.ofEpochMilli(10_250), ZoneOffset.UTC);

    private final ChangeApplier applier = new ChangeApplier(mapping(), this::cache,
            tags -> tagCalls.add(List.copyOf(tags)), CdcMeters.NONE, clock);

    private @Nullable Cache cache(String name) {
        return "products".equals(name) ? products : null;
    }

    private static CdcMapping mapping() {
        CdcProperties.Evict evict = new CdcProperties.Evict();
        evict.setCache("products");
        evict.setKey("#{id}");
        CdcProperties.Table table = new CdcProperties.Table();
        table.getEvict().add(evict);
        table.getTags().addAll(List.of("category:#{category_id}", "per-unit:#{100 / qty}", "products:all"));
        return SpelCdcMapping.of(Map.of("public.products", table));
    }

    private static @Nullable Struct row(long id, int category, int qty) {
        return new Struct(ROW).put("id", id).put("category_id", category).put("qty", qty);
    }

    private static SourceRecord change(String op, @Nullable Struct before, @Nullable Struct after, long lsn) {
        Struct source = new Struct(SOURCE).put("schema", "public").put("table", "products").put("ts_ms", 10_000L)
                .put("lsn", lsn);
        Struct value = new Struct(ENVELOPE).put("op", op).put("source", source);
        if (before != null) {
            value.put("before", before);
        }
        if (after != null) {
            value.put("after", after);
        }
        return new SourceRecord(Map.of(), Map.of(), "topic", ENVELOPE, value);
    }

    @Test
    void eachKeyAndTagOfABatchIsEvictedOnceAndTheTagsInOneCall() {
        products.put(1L, "a");
        products.put(2L, "b");
        products.put(3L, "c");

        applier.apply(List.of(
                change("u", row(1, 10, 1), row(1, 20, 1), 100),
                change("u", row(1, 20, 1), row(1, 20, 2), 101),
                change("d", row(2, 10, 1), null, 102)));

        assertThat(products.get(1L)).isNull();
        assertThat(products.get(2L)).isNull();
        assertThat(products.get(3L)).isNotNull();
        assertThat(tagCalls).hasSize(1);
        assertThat(tagCalls.get(0)).containsExactlyInAnyOrder("category:10", "category:20", "per-unit:100",
                "per-unit:50", "products:all");
        assertThat(applier.keysEvicted.sum()).isEqualTo(2);
        assertThat(applier.changesSeen.sum()).isEqualTo(3);
        assertThat(applier.lastLsn()).isEqualTo(102L);
        assertThat(applier.lastLagMillis()).isEqualTo(250);
    }

    @Test
    void aRowWhoseMappingFailsIsCountedAndTheOthersAreStillEvicted() {
        products.put(2L, "b");

        applier.apply(List.of(change("u", row(1, 10, 1), row(1, 10, 0), 100), change("c", null, row(2, 10, 1), 101)));

        assertThat(applier.mappingFailures.sum()).isEqualTo(1);
        assertThat(products.get(2L)).isNull();
        assertThat(tagCalls.get(0)).contains("category:10", "per-unit:100");
    }

    @Test
    void aTruncateClearsTheTablesCachesAndEvictsItsConstantTags() {
        products.put(1L, "a");
        products.put(9L, "z");

        applier.apply(List.of(change("t", null, null, 100)));

        assertThat(products.getNativeCache()).isEmpty();
        assertThat(applier.cachesCleared.sum()).isEqualTo(1);
        assertThat(tagCalls).containsExactly(List.of("products:all"));
    }

    @Test
    void aFailingTagEvictorFailsTheBatchSoThatItIsDeliveredAgain() {
        ChangeApplier failing = new ChangeApplier(mapping(), this::cache, tags -> {
            throw new IllegalStateException("tag store down");
        }, CdcMeters.NONE, clock);

        assertThatThrownBy(() -> failing.apply(List.of(change("c", null, row(1, 10, 1), 100))))
                .hasMessageContaining("tag store down");
        assertThat(failing.lastLsn()).as("the batch is not recorded as done").isNull();
    }

    @Test
    void recordsThatAreNotRowChangesAreSkipped() {
        Schema heartbeat = SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA).build();
        SourceRecord record = new SourceRecord(Map.of(), Map.of(), "heartbeat", heartbeat,
                new Struct(heartbeat).put("ts_ms", 1L));
        SourceRecord tombstone = new SourceRecord(Map.of(), Map.of(), "topic", null, null);

        applier.apply(List.of(record, tombstone));

        assertThat(applier.changesSeen.sum()).isZero();
    }
}
