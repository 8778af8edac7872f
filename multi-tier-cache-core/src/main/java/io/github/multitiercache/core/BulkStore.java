package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;

import io.github.multitiercache.core.codec.StoredEntry;
import io.github.multitiercache.core.redis.RedisTier;
import io.github.multitiercache.core.stampede.Leases;
import org.jspecify.annotations.Nullable;

/**
 * How {@link BulkLoader} puts what one loader call returned into the tiers, with the Redis writes
 * of each kind batched: the values of keys it leased in one token-checked step per node
 * ({@link Leases#storeAll}), the others pipelined ({@link SharedTier#writeAll}). What follows each
 * write (replicas of a hot key, the L1 fill) is {@link Store}'s, as for a single load.
 */
final class BulkStore {

    private final Store store;
    private final SharedTier shared;
    private final @Nullable Leases coordinator;
    private final LeaseOutcomes outcomes;

    BulkStore(Store store, SharedTier shared, @Nullable Leases coordinator, LeaseOutcomes outcomes) {
        this.store = store;
        this.shared = shared;
        this.coordinator = coordinator;
        this.outcomes = outcomes;
    }

    /** A key missed by both tiers, on its way through the lease and the load. */
    static final class Pending {

        final CacheKey key;
        final long ticket;
        @Nullable StoredEntry stale;
        byte @Nullable [] lockKey;
        byte @Nullable [] token;
        @Nullable CompletableFuture<Void> signal;

        Pending(CacheKey key, long ticket, @Nullable StoredEntry stale) {
            this.key = key;
            this.ticket = ticket;
            this.stale = stale;
        }
    }

    /**
     * Stores what one loader call returned for {@code toLoad}; a key absent from {@code result} is a
     * {@code null}. Records each value (a cached null as {@code null}) in {@code values}.
     * @param ifAbsent write a value only where Redis holds none (after a wait that ran out)
     * @param keeps whether a key's value is cached ({@code unless}); {@code null} for every value
     */
    @SuppressWarnings({ "unchecked", "rawtypes" })
    void store(List<Pending> toLoad, Map<?, ?> result, int loadMillis, boolean ifAbsent,
            Map<Object, @Nullable Object> values, @Nullable BiPredicate keeps) {
        List<Store.Storing> plain = new ArrayList<>();
        List<Pending> plainKeys = new ArrayList<>();
        List<Store.@Nullable Storing> owned = new ArrayList<>();
        List<Pending> ownedKeys = new ArrayList<>();
        for (Pending key : toLoad) {
            Object value = result.get(key.key.key());
            values.put(key.key.key(), Store.unwrapNull(value));
            if (keeps != null && !keeps.test(key.key.key(), Store.unwrapNull(value))) {
                if (key.token != null) {
                    // Released, not stored: the waiters take the lease over and load it themselves.
                    owned.add(null);
                    ownedKeys.add(key);
                }
                continue;
            }
            if (key.key.local()) {
                store.store(key.key, value, loadMillis, false, key.ticket);
                continue;
            }
            Store.Storing storing = store.storing(key.key, value, loadMillis);
            if (key.token != null) {
                // A null the cache does not keep, or a value that cannot be encoded, releases the lease.
                owned.add(storing);
                ownedKeys.add(key);
            }
            else if (storing != null) {
                plain.add(storing);
                plainKeys.add(key);
            }
        }
        if (ifAbsent) {
            storeIfAbsent(plainKeys, plain);
        }
        else {
            storePlainly(plainKeys, plain);
        }
        storeOwned(ownedKeys, owned);
    }

    /** Values loaded without a lease: pipelined SETs; L1 filled whether Redis took them or not. */
    private void storePlainly(List<Pending> keys, List<Store.Storing> storings) {
        List<CacheKey> written = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        List<Store.Storing> encoded = new ArrayList<>();
        long[] ttls = new long[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            byte[] entry = storings.get(i).bytes();
            if (entry != null) {
                ttls[written.size()] = storings.get(i).physicalTtlMillis();
                written.add(keys.get(i).key);
                bytes.add(entry);
                encoded.add(storings.get(i));
            }
        }
        if (!written.isEmpty() && shared.writeAll(written, bytes, Arrays.copyOf(ttls, written.size()))) {
            encoded.forEach(Store.Storing::written);
        }
        for (int i = 0; i < keys.size(); i++) {
            storings.get(i).fillL1(keys.get(i).ticket);
        }
    }

    /**
     * Values loaded after a wait that ran out: written only where Redis holds none (another
     * instance's value, landed meanwhile, is taken by the next read). A rare path: one write per key.
     */
    private void storeIfAbsent(List<Pending> keys, List<Store.Storing> storings) {
        for (int i = 0; i < keys.size(); i++) {
            Store.Storing storing = storings.get(i);
            byte[] bytes = storing.bytes();
            RedisTier.SetIfAbsentResult result = (bytes != null)
                    ? shared.writeIfAbsent(keys.get(i).key, bytes, storing.physicalTtlMillis(), false) : null;
            if (result != null && result.stored()) {
                storing.written();
            }
            if (result == null || result.stored() || result.failed()) {
                storing.fillL1(keys.get(i).ticket);
            }
        }
    }

    /**
     * Values of the keys this call leased: written at once, each only while its lease holds this
     * call's token, which also releases the lease and wakes its waiters.
     */
    private void storeOwned(List<Pending> keys, List<Store.@Nullable Storing> storings) {
        Leases coordinator = this.coordinator;
        if (keys.isEmpty() || coordinator == null) {
            return;
        }
        List<byte[]> valueKeys = new ArrayList<>(keys.size());
        List<byte[]> lockKeys = new ArrayList<>(keys.size());
        List<byte[]> tokens = new ArrayList<>(keys.size());
        List<byte @Nullable []> entries = new ArrayList<>(keys.size());
        long[] ttls = new long[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            Pending key = keys.get(i);
            Store.Storing storing = storings.get(i);
            valueKeys.add(key.key.redisKey());
            lockKeys.add(Objects.requireNonNull(key.lockKey));
            tokens.add(Objects.requireNonNull(key.token));
            entries.add((storing != null) ? storing.bytes() : null);
            ttls[i] = (storing != null) ? storing.physicalTtlMillis() : 0;
        }
        boolean[] stored = coordinator.storeAll(valueKeys, lockKeys, tokens, entries, ttls);
        for (int i = 0; i < keys.size(); i++) {
            Store.Storing storing = storings.get(i);
            if (storing == null) {
                continue;
            }
            if (stored[i]) {
                storing.written();
                storing.fillL1(keys.get(i).ticket);
            }
            else if (entries.get(i) == null) {
                // Not encodable: kept in L1 only, as a single load does.
                storing.fillL1(keys.get(i).ticket);
            }
            else {
                outcomes.notCached(keys.get(i).key);
            }
        }
    }

    /** Releases the leases of a load that failed, at once, so that the waiters take over. */
    void release(List<Pending> toLoad) {
        Leases coordinator = this.coordinator;
        if (coordinator == null) {
            return;
        }
        List<byte[]> valueKeys = new ArrayList<>();
        List<byte[]> lockKeys = new ArrayList<>();
        List<byte[]> tokens = new ArrayList<>();
        for (Pending key : toLoad) {
            if (key.token != null && key.lockKey != null) {
                valueKeys.add(key.key.redisKey());
                lockKeys.add(key.lockKey);
                tokens.add(key.token);
            }
        }
        if (!valueKeys.isEmpty()) {
            coordinator.storeAll(valueKeys, lockKeys, tokens, Arrays.asList(new byte[valueKeys.size()][]),
                    new long[valueKeys.size()]);
        }
    }

}
