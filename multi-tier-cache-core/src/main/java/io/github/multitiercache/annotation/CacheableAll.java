package io.github.multitiercache.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.cache.annotation.Cacheable;
import org.springframework.core.annotation.AliasFor;

/**
 * Caches a bulk-loading method per key: a method that takes a collection of keys and returns a
 * {@code Map} of their values gets each value cached as its own entry, under exactly the key a
 * {@link Cacheable @Cacheable} method of the same cache taking that key as its only argument uses,
 * so that the bulk method and the single-key method share entries both ways.
 *
 * <pre>{@code
 * @CacheableAll(cacheNames = "products")
 * public Map<Long, Product> findAll(Collection<Long> ids) { ... }   // loads only the ids not cached
 *
 * @Cacheable("products")
 * public Product find(long id) { ... }                              // the same entries
 * }</pre>
 *
 * <p>A call reads L1 for every key, then Redis once per node ({@code MGET}) for the keys L1
 * missed, then calls the method once with exactly the keys still missing (an unmodifiable
 * {@code Set} for a {@code Set} parameter, an unmodifiable {@code List} otherwise), unless none are;
 * keys another instance is loading are waited for instead (with {@code stampede.enabled}). What the
 * method returned is written to Redis with one round trip per node, each key with its own TTL. A
 * key the method leaves out of its map is cached as {@code null} where the cache caches nulls, and
 * is absent from the returned map, which iterates in the order of the requested keys, duplicates
 * once.
 *
 * <p>The method must take exactly one parameter, a {@code Collection}, {@code Set}, {@code List}
 * or {@code Iterable} of keys, return a {@code Map}, and name exactly one cache (here or with
 * {@code @CacheConfig}); anything else fails the application's startup. Its tier options are those
 * of {@link MultiTierCacheable}, declared for the cache with the same rules.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
public @interface CacheableAll {

    /** @return alias for {@link #cacheNames()} */
    @AliasFor("cacheNames")
    String[] value() default {};

    /** @return the one cache the values are stored in; empty for the class's {@code @CacheConfig} */
    @AliasFor("value")
    String[] cacheNames() default {};

    /**
     * @return a SpEL expression giving the cache key of one element, which is {@code #key};
     *         empty for the element itself (what {@code @Cacheable} makes of a single argument)
     */
    String key() default "";

    /**
     * @return a SpEL expression deciding per element ({@code #key}) whether it is cached; an element
     *         it rejects is passed to the method on every call and stored nowhere; empty for all
     */
    String condition() default "";

    /**
     * @return a SpEL expression vetoing the caching of one loaded value ({@code #result}, the value
     *         or {@code null}; {@code #key}, the element); the value is still returned
     */
    String unless() default "";

    /** @return whether the cache keeps an L1 tier */
    MultiTierCacheable.Toggle l1Enabled() default MultiTierCacheable.Toggle.DEFAULT;

    /** @return the maximum number of L1 entries; -1 leaves it unset */
    long l1MaximumSize() default -1;

    /** @return the L1 time to live, for example {@code "30s"}; empty leaves it unset */
    String l1Ttl() default "";

    /** @return whether the cache keeps values in Redis */
    MultiTierCacheable.Toggle l2Enabled() default MultiTierCacheable.Toggle.DEFAULT;

    /** @return the Redis time to live, for example {@code "10m"}; empty leaves it unset */
    String l2Ttl() default "";

    /** @return the TTL jitter fraction in {@code [0, 1)}; -1 leaves it unset */
    double ttlJitter() default -1;

    /** @return whether {@code null} results are cached */
    MultiTierCacheable.Toggle cacheNullValues() default MultiTierCacheable.Toggle.DEFAULT;

    /** @return the time to live of a cached {@code null}; empty leaves it unset */
    String nullTtl() default "";

    /** @return whether misses of a key across instances share one load (per-key lock in Redis) */
    MultiTierCacheable.Toggle stampedeEnabled() default MultiTierCacheable.Toggle.DEFAULT;

    /** @return the lease of the per-key lock, for example {@code "10s"}; empty leaves it unset */
    String stampedeLease() default "";

    /** @return the longest wait for another instance's load, for example {@code "5s"}; empty leaves it unset */
    String stampedeMaxWait() default "";

    /** @return what a caller does after {@code stampedeMaxWait}: {@code LOAD}, {@code FAIL} or {@code STALE}; empty leaves it unset */
    String stampedeOnTimeout() default "";

    /** @return refresh-ahead: {@code NONE}, {@code FIXED} or {@code XFETCH}; empty leaves it unset */
    String refreshMode() default "";

    /** @return for {@code FIXED} refresh: the fraction of the TTL after which a read refreshes, in (0, 1); -1 leaves it unset */
    double refreshAheadFraction() default -1;

    /** @return for {@code XFETCH} refresh: the eagerness, positive; -1 leaves it unset */
    double refreshXfetchBeta() default -1;

    /** @return whether expired values are kept and served when the loader fails or is slow */
    MultiTierCacheable.Toggle failSafeEnabled() default MultiTierCacheable.Toggle.DEFAULT;

    /** @return how long after expiry a value may still be served, for example {@code "10m"}; empty leaves it unset */
    String failSafeMaxStale() default "";

    /** @return how long a caller waits for the loader when a stale value is at hand; empty leaves it unset */
    String failSafeSoftTimeout() default "";

    /** @return the longest any caller waits for a value; empty leaves it unset */
    String failSafeHardTimeout() default "";

    /** @return whether hot keys are found, kept in L1, replicated and announced */
    MultiTierCacheable.Toggle hotKeysEnabled() default MultiTierCacheable.Toggle.DEFAULT;

    /** @return the sliding window over which reads are counted, for example {@code "10s"}; empty leaves it unset */
    String hotKeysWindow() default "";

    /** @return the read rate in one instance above which a key is hot, positive; -1 leaves it unset */
    double hotKeysMinReadsPerSecond() default -1;

    /** @return the most keys hot at once; -1 leaves it unset */
    int hotKeysMaxHotKeys() default -1;

    /** @return how long a hot key is kept in L1, even when L1 is small or off; empty leaves it unset */
    String hotKeysL1Ttl() default "";

    /** @return how many replicas a hot key gets on a Redis Cluster (0 for none); -1 leaves it unset */
    int hotKeysReplicas() default -1;


    /**
     * The tags of each loaded value: SpEL expressions evaluated per value after the method returned,
     * with {@code #key} (the element), {@code #result} (its value) and the method's arguments. An
     * expression yielding a collection or an array adds each element; a {@code null} or blank tag is
     * ignored with a warning. See {@link MultiTierCacheable#tags()}.
     * @return the tag expressions; none by default
     */
    String[] tags() default {};
}
