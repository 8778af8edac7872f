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
 * Caches a method's result exactly like {@link Cacheable}, and also declares the tier options of
 * the method's cache.
 *
 * <pre>{@code
 * @MultiTierCacheable(cacheNames = "products", l1Ttl = "30s", l2Ttl = "10m", nullTtl = "5s",
 *         refreshMode = "XFETCH", failSafeEnabled = Toggle.TRUE, failSafeMaxStale = "1h")
 * public Product findProduct(long id) { ... }
 * }</pre>
 *
 * <p>Options left at their default ({@code ""}, {@code -1}, {@link Toggle#DEFAULT}) are not set by
 * the annotation. The options of a cache are applied in this order, later winning: built-in
 * defaults, {@code multi-tier-cache.defaults.*}, this annotation,
 * {@code multi-tier-cache.caches.<name>.*}. Configuration of the named cache thus overrides the
 * annotation, so that operators can tune a cache without a rebuild. Two annotated methods that
 * set the same option of one cache to different values fail the application's startup with an
 * error naming both methods.
 *
 * <p>Durations are written as {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 1d} or
 * ISO-8601 ({@code PT30S}).
 *
 * <p>Each tier attribute is a {@linkplain io.github.multitiercache.core.CacheSettings#options() cache
 * option}, named after it in camel case ({@code hotKeysL1Ttl} is {@code hot-keys.l1-ttl}); every
 * option has one except {@code compression-threshold}, {@code max-value-size} and
 * {@code hot-keys.sketch-width}, which are set in configuration.
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
@Cacheable
public @interface MultiTierCacheable {

    /** @return alias for {@link #cacheNames()} */
    @AliasFor(annotation = Cacheable.class, attribute = "cacheNames")
    String[] value() default {};

    /** @return the caches the result is stored in, as {@link Cacheable#cacheNames()} */
    @AliasFor(annotation = Cacheable.class, attribute = "cacheNames")
    String[] cacheNames() default {};

    /** @return the key expression, as {@link Cacheable#key()} */
    @AliasFor(annotation = Cacheable.class)
    String key() default "";

    /** @return the key generator bean name, as {@link Cacheable#keyGenerator()} */
    @AliasFor(annotation = Cacheable.class)
    String keyGenerator() default "";

    /** @return the cache manager bean name, as {@link Cacheable#cacheManager()} */
    @AliasFor(annotation = Cacheable.class)
    String cacheManager() default "";

    /** @return the cache resolver bean name, as {@link Cacheable#cacheResolver()} */
    @AliasFor(annotation = Cacheable.class)
    String cacheResolver() default "";

    /** @return the condition expression, as {@link Cacheable#condition()} */
    @AliasFor(annotation = Cacheable.class)
    String condition() default "";

    /** @return the veto expression, as {@link Cacheable#unless()} */
    @AliasFor(annotation = Cacheable.class)
    String unless() default "";

    /** @return whether concurrent callers share one invocation, as {@link Cacheable#sync()} */
    @AliasFor(annotation = Cacheable.class)
    boolean sync() default false;

    /** @return whether the cache keeps an L1 tier */
    Toggle l1Enabled() default Toggle.DEFAULT;

    /** @return the maximum number of L1 entries; -1 leaves it unset */
    long l1MaximumSize() default -1;

    /** @return the L1 time to live, for example {@code "30s"}; empty leaves it unset */
    String l1Ttl() default "";

    /** @return whether the cache keeps values in Redis */
    Toggle l2Enabled() default Toggle.DEFAULT;

    /** @return the Redis time to live, for example {@code "10m"}; empty leaves it unset */
    String l2Ttl() default "";

    /** @return the TTL jitter fraction in {@code [0, 1)}; -1 leaves it unset */
    double ttlJitter() default -1;

    /** @return whether {@code null} results are cached */
    Toggle cacheNullValues() default Toggle.DEFAULT;

    /** @return the time to live of a cached {@code null}; empty leaves it unset */
    String nullTtl() default "";

    /** @return whether misses of a key across instances share one load (per-key lock in Redis) */
    Toggle stampedeEnabled() default Toggle.DEFAULT;

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
    Toggle failSafeEnabled() default Toggle.DEFAULT;

    /** @return how long after expiry a value may still be served, for example {@code "10m"}; empty leaves it unset */
    String failSafeMaxStale() default "";

    /** @return how long a caller waits for the loader when a stale value is at hand; empty leaves it unset */
    String failSafeSoftTimeout() default "";

    /** @return the longest any caller waits for a value; empty leaves it unset */
    String failSafeHardTimeout() default "";

    /** @return whether hot keys are found, kept in L1, replicated and announced */
    Toggle hotKeysEnabled() default Toggle.DEFAULT;

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

    /** A three-valued switch: on, off, or not set here. */
    enum Toggle {
        /** Not set by the annotation. */
        DEFAULT,
        /** On. */
        TRUE,
        /** Off. */
        FALSE
    }

    /**
     * The tags of a value this method returns: SpEL expressions evaluated after the method returned,
     * with its arguments by name, {@code #result} and {@code #root.method}, {@code #root.target},
     * {@code #root.args}. An expression yielding a collection or an array adds each element; a
     * {@code null} or blank tag is ignored with a warning. The value is served until one of its tags
     * is evicted ({@link CacheEvictTags}, {@code MultiTierCacheManager.evictTags}); see
     * {@code docs/tags.md}. For a method returning a {@code CompletableFuture}, a {@code Mono} or a
     * {@code Flux}, {@code #result} is the completed value (a {@code Flux}'s list of elements), and
     * an eviction made while it was pending drops it.
     * <pre>{@code @MultiTierCacheable(cacheNames = "products", tags = {"'product:' + #id", "'category:' + #result.category"})}</pre>
     * @return the tag expressions; none by default
     */
    String[] tags() default {};
}
