package io.github.multitiercache.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Evicts tags when the method is called: every entry carrying one of them, in every multi-tier cache
 * of the manager (tags are global to the key prefix) or in the {@link #cacheNames()} given, on every
 * instance. Once the method returns no
 * instance serves such an entry written before the eviction. Costs one Redis command per tag and one
 * message, whatever the number of entries. See {@code docs/tags.md}.
 * <pre>{@code
 * @CacheEvictTags({"'product:' + #product.id", "'category:' + #product.category"})
 * public Product update(Product product) { ... }
 * }</pre>
 * Run by {@link CacheEvictTagsAdvisor}, which the auto-configuration registers.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
public @interface CacheEvictTags {

    /**
     * The tags to evict: SpEL expressions with the method's arguments by name, {@code #root}, and
     * {@code #result} unless {@link #beforeInvocation()}. An expression yielding a collection or an
     * array evicts each element; a {@code null} or blank tag is ignored with a warning.
     * @return the tag expressions
     */
    String[] value();

    /**
     * Whether the tags are evicted before the method runs (and even when it throws). By default
     * they are evicted after it returned, and not when it throws, as {@code @CacheEvict} does.
     * @return {@code true} to evict first
     */
    boolean beforeInvocation() default false;

    /**
     * The caches the eviction is limited to: only their entries carrying the tags are evicted, the
     * other caches keep theirs. By default (none), every multi-tier cache of the manager; unlike
     * {@code @CacheEvict}, a class's {@code @CacheConfig} does not narrow it. A name the cache
     * manager does not know fails the call with an {@link IllegalArgumentException}, as
     * {@code @CacheEvict} does.
     * @return the cache names
     */
    String[] cacheNames() default {};
}
