package io.github.multitiercache.core;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import io.github.multitiercache.core.stampede.StampedeSettings;
import org.junit.jupiter.api.Test;

import static io.github.multitiercache.core.FastEngine.leased;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evicting many keys at once ({@code evictAll}) against the in-memory twin of Redis: what a single
 * evict does for each key (L1 here and on the other instances, the Redis entry and its lease, the
 * fill guard, deletes owed while Redis fails, the counts), in one Redis round trip for the batch.
 */
class EngineEvictAllTests {

    private final FastEngine engine = new FastEngine();

    private static List<Integer> ids(int count) {
        return IntStream.range(0, count).boxed().toList();
    }

    private static void fill(TieredCache cache, List<Integer> ids) {
        ids.forEach(id -> cache.get(id, () -> "v-" + id));
    }

    @Test
    void fiftyKeysLeaveRedisAndTheL1OfEveryInstanceInOneRedisCommand() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());
        List<Integer> ids = ids(50);
        fill(a, ids);
        fill(b, ids);
        assertThat(b.l1Hit(7)).isNotNull();
        int before = engine.redis.commands.get();

        a.evictAll(ids);

        assertThat(engine.redis.commands.get() - before).isEqualTo(1);
        assertThat(ids).allSatisfy(id -> {
            assertThat(engine.redis.exists("fast:c:" + id)).isFalse();
            assertThat(a.l1Hit(id)).isNull();
            assertThat(b.l1Hit(id)).as("told over the bus").isNull();
        });
        assertThat(a.statistics().evictions()).isEqualTo(50);
        assertThat(b.get(7, () -> "new-7")).isEqualTo("new-7");
    }

    @Test
    void duplicatesAndNullKeysCountOnceAndNotAtAll() {
        TieredCache a = engine.instance("c", leased().build());
        fill(a, ids(3));

        a.evictAll(Arrays.asList(1, 2, 1, null, 2));

        assertThat(a.statistics().evictions()).isEqualTo(2);
        assertThat(a.statistics().bypasses()).isEqualTo(1);
        assertThat(a.l1Hit(0)).isNotNull();
        assertThat(engine.redis.exists("fast:c:0")).isTrue();
        assertThat(engine.redis.exists("fast:c:1")).isFalse();
    }

    @Test
    void theLeaseOfAKeyBeingLoadedElsewhereGoesWithItsValueSoTheLoadCannotWriteTheOldValueBack() {
        TieredCache a = engine.instance("c", leased().build());
        fill(a, ids(2));
        engine.redis.holdLease("fast:c:1", Duration.ofSeconds(10));

        a.evictAll(ids(2));

        assertThat(engine.redis.exists("{fast:c:1}:lock")).isFalse();
        assertThat(engine.redis.exists("fast:c:1")).isFalse();
    }

    @Test
    void aLoadUnderWayElsewhereWhenTheKeysAreEvictedNeitherStoresNorFillsL1() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());

        // b leases key 0 and loads it; meanwhile the row changes and a evicts the key.
        Object loaded = b.get(0, () -> {
            a.evictAll(List.of(0, 1));
            return "read-before-the-change";
        });

        assertThat(loaded).isEqualTo("read-before-the-change");
        assertThat(engine.redis.exists("fast:c:0")).as("the lease went with the eviction: store refused").isFalse();
        assertThat(b.l1Hit(0)).as("the fill guard of b was bumped by the message").isNull();
        assertThat(b.stampedeStatistics().rejectedStores()).isEqualTo(1);
    }

    @Test
    void aLoadUnderWayOnThisInstanceWhenItsKeyIsEvictedDoesNotFillL1() {
        // Without the lease, so that only the fill guard stands between the load and L1.
        TieredCache a = engine.instance("c", CacheSettings.defaults().toBuilder().ttlJitter(0)
                .stampede(new StampedeSettings(false, Duration.ofSeconds(10), Duration.ofSeconds(2),
                        StampedeSettings.OnTimeout.LOAD)).build());

        Object loaded = a.get(0, () -> {
            a.evictAll(List.of(0));
            return "read-before-the-change";
        });

        assertThat(loaded).isEqualTo("read-before-the-change");
        assertThat(a.l1Hit(0)).as("the fill guard was bumped by the eviction").isNull();
    }

    @Test
    void deletesRedisDidNotTakeAreOwedAndPaidWhenItAnswersAndTheOtherInstancesAreToldAgain() {
        TieredCache a = engine.instance("c", leased().build());
        TieredCache b = engine.instance("c", leased().build());
        List<Integer> ids = ids(20);
        fill(a, ids);
        engine.redis.losing(true);

        a.evictAll(ids);

        assertThat(a.l1Hit(3)).isNull();
        assertThat(engine.redis.exists("fast:c:3")).as("owed").isTrue();
        // b reads the old value while Redis is still refusing, as it would after a single evict.
        engine.redis.losing(false);
        b.get(3, () -> "loaded");
        assertThat(b.l1Hit(3)).isNotNull();

        engine.time.advance(Duration.ofMillis(RetryBackoff.FIRST_MILLIS));

        assertThat(ids).allSatisfy(id -> assertThat(engine.redis.exists("fast:c:" + id)).isFalse());
        assertThat(b.l1Hit(3)).as("told again with the replayed delete").isNull();
    }

    @Test
    void aKeyOwedWhileRedisIsDownIsPaidByTheReplayAfterRecovery() {
        TieredCache a = engine.instance("c", leased().build());
        fill(a, ids(5));
        engine.redis.down(true);

        a.evictAll(ids(5));
        engine.redis.down(false);

        assertThat(ids(5)).allSatisfy(id -> assertThat(engine.redis.exists("fast:c:" + id)).isFalse());
    }
}
