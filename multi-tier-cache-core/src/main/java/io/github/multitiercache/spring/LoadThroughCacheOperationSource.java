package io.github.multitiercache.spring;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.springframework.cache.interceptor.CacheOperation;
import org.springframework.cache.interceptor.CacheOperationSource;
import org.springframework.cache.interceptor.CacheableOperation;
import org.springframework.core.MethodClassKey;
import org.springframework.util.StringUtils;

/**
 * Makes plain {@code @Cacheable} methods load through the cache, as {@code sync = true} does.
 *
 * <p>Without {@code sync}, Spring answers a miss by calling the method and then
 * {@code Cache.put}; the cache cannot tell that put from a {@code @CachePut}, so it would tell every
 * other instance to drop its copy, and concurrent callers would each call the method. Through
 * {@code Cache.get(key, loader)} the cache knows the value is a fill: it loads once per key and
 * never broadcasts it.
 *
 * <p>Only operations that {@code sync = true} allows are changed: a method whose single cache
 * operation is a {@code @Cacheable} of one cache without {@code unless}. Anything else is returned
 * as it is and keeps Spring's usual behaviour.
 */
public final class LoadThroughCacheOperationSource implements CacheOperationSource {

    private final CacheOperationSource delegate;
    // Spring caches metadata per operation instance: hand out the same rewritten instance each time.
    private final Map<MethodClassKey, Collection<CacheOperation>> rewritten = new ConcurrentHashMap<>();

    /**
     * Wraps an operation source.
     * @param delegate the source that parses the annotations
     */
    public LoadThroughCacheOperationSource(CacheOperationSource delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** @return the wrapped source */
    public CacheOperationSource getDelegate() {
        return delegate;
    }

    @Override
    public boolean isCandidateClass(Class<?> targetClass) {
        return delegate.isCandidateClass(targetClass);
    }

    @Override
    public boolean hasCacheOperations(Method method, @Nullable Class<?> targetClass) {
        return delegate.hasCacheOperations(method, targetClass);
    }

    @Override
    public @Nullable Collection<CacheOperation> getCacheOperations(Method method, @Nullable Class<?> targetClass) {
        Collection<CacheOperation> operations = delegate.getCacheOperations(method, targetClass);
        if (operations == null || operations.size() != 1) {
            return operations;
        }
        CacheOperation operation = operations.iterator().next();
        if (!(operation instanceof CacheableOperation cacheable) || cacheable.isSync()
                || StringUtils.hasText(cacheable.getUnless()) || cacheable.getCacheNames().size() != 1) {
            return operations;
        }
        return rewritten.computeIfAbsent(new MethodClassKey(method, targetClass), key -> List.of(loadThrough(cacheable)));
    }

    private static CacheableOperation loadThrough(CacheableOperation operation) {
        CacheableOperation.Builder builder = new CacheableOperation.Builder();
        builder.setName(operation.getName());
        builder.setCacheNames(operation.getCacheNames().toArray(new String[0]));
        builder.setKey(operation.getKey());
        builder.setKeyGenerator(operation.getKeyGenerator());
        builder.setCacheManager(operation.getCacheManager());
        builder.setCacheResolver(operation.getCacheResolver());
        builder.setCondition(operation.getCondition());
        String unless = operation.getUnless();
        if (unless != null) {
            builder.setUnless(unless);
        }
        builder.setSync(true);
        return builder.build();
    }
}
