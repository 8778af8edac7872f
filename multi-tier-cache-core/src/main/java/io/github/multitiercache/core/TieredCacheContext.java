package io.github.multitiercache.core;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Executor;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.multitiercache.core.redis.RedisTier;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * What every cache of one manager shares: the Redis tier, the value serializer, the key
 * converter and prefix, the invalidation publisher, and the clocks and executor.
 *
 * @param redis the Redis tier, or {@code null} when no cache may use L2
 * @param serializer serializes values for Redis (wrapped in the entry envelope)
 * @param keyConverter turns keys into their stable text form
 * @param keyPrefix the first segment of every Redis key ({@code prefix:cache:key}); may be empty
 * @param jitter spreads TTLs
 * @param publisher tells other instances about writes
 * @param l1Guard decides whether L1 entries may be served
 * @param clock wall-clock time, for expiry timestamps stored in Redis
 * @param ticker monotonic time, for L1 expiry
 * @param executor runs L1 maintenance and background work
 * @param delays runs delayed work: retries of what Redis is owed, timeouts of asynchronous loads
 * @param tags what this instance knows of tag evictions, shared by every cache of the manager
 */
public record TieredCacheContext(
        @Nullable RedisTier redis,
        RedisSerializer<Object> serializer,
        CacheKeyConverter keyConverter,
        String keyPrefix,
        TtlJitter jitter,
        InvalidationPublisher publisher,
        L1Guard l1Guard,
        Clock clock,
        Ticker ticker,
        Executor executor,
        Delays delays,
        TagClock tags) {

    /** Checks that every required component is present and the prefix is usable. */
    public TieredCacheContext {
        Objects.requireNonNull(tags, "tags");
        Objects.requireNonNull(serializer, "serializer");
        Objects.requireNonNull(keyConverter, "keyConverter");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(jitter, "jitter");
        Objects.requireNonNull(publisher, "publisher");
        Objects.requireNonNull(l1Guard, "l1Guard");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(ticker, "ticker");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(delays, "delays");
        if (keyPrefix.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("key prefix must not contain white space but was '" + keyPrefix + "'");
        }
        tags.announceTo(publisher);
    }

    /**
     * A context with its own {@link TagClock} over the Redis tier: see the canonical constructor.
     */
    public TieredCacheContext(@Nullable RedisTier redis, RedisSerializer<Object> serializer,
            CacheKeyConverter keyConverter, String keyPrefix, TtlJitter jitter, InvalidationPublisher publisher,
            L1Guard l1Guard, Clock clock, Ticker ticker, Executor executor, Delays delays) {
        this(redis, serializer, keyConverter, keyPrefix, jitter, publisher, l1Guard, clock, ticker, executor, delays,
                TagClock.of(redis, keyPrefix, l1Guard, clock, ticker, delays, executor));
    }

    /**
     * A context whose delays run in real time on {@code executor}: see the canonical constructor.
     */
    public TieredCacheContext(@Nullable RedisTier redis, RedisSerializer<Object> serializer,
            CacheKeyConverter keyConverter, String keyPrefix, TtlJitter jitter, InvalidationPublisher publisher,
            L1Guard l1Guard, Clock clock, Ticker ticker, Executor executor) {
        this(redis, serializer, keyConverter, keyPrefix, jitter, publisher, l1Guard, clock, ticker, executor,
                Delays.on(executor));
    }

    /**
     * The same context with another publisher and L1 guard, typically an invalidation bus.
     * @param publisher the publisher
     * @param l1Guard the guard
     * @return a new context
     */
    public TieredCacheContext withInvalidation(InvalidationPublisher publisher, L1Guard l1Guard) {
        return new TieredCacheContext(redis, serializer, keyConverter, keyPrefix, jitter, publisher, l1Guard, clock,
                ticker, executor, delays);
    }
}
