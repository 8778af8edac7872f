package io.github.multitiercache.spring;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import io.github.multitiercache.core.TieredCache;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.ClassFilter;
import org.springframework.aop.Pointcut;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.cache.Cache;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.cache.CacheManager;
import org.springframework.cache.interceptor.CacheAspectSupport;
import org.springframework.cache.interceptor.CacheOperation;
import org.springframework.cache.interceptor.CacheOperationSource;
import org.springframework.cache.interceptor.CacheResolver;
import org.springframework.cache.interceptor.CacheableOperation;
import org.springframework.cache.interceptor.KeyGenerator;
import org.springframework.cache.interceptor.SimpleCacheResolver;
import org.springframework.core.BridgeMethodResolver;
import org.springframework.core.MethodClassKey;
import org.springframework.core.Ordered;
import org.springframework.core.ReactiveAdapterRegistry;
import org.springframework.util.StringUtils;

/**
 * Serves L1 hits of simple {@code @Cacheable} methods before Spring's cache interceptor runs.
 *
 * <p>Spring's {@code CacheInterceptor} builds operation contexts, resolves the caches and generates
 * the key on every call; for an L1 hit that machinery costs several times the lookup itself. This
 * advisor runs just before Spring's cache advisor (its order is one less) and, for a method whose
 * hit it can answer exactly as Spring would, looks the key up in L1 itself:
 * <ul>
 * <li>the method's only cache operation is a {@code @Cacheable} of one cache, without
 * {@code condition}, {@code key}, or a {@code keyGenerator}, {@code cacheManager} or
 * {@code cacheResolver} of its own ({@code unless} and {@code sync} do not matter for a hit);
 * <li>the method returns neither a {@code CompletableFuture} nor a reactive type, and takes no
 * varargs;
 * <li>Spring's interceptor resolves caches with its default resolver, and the cache it resolves is
 * a {@link MultiTierCache}.
 * </ul>
 * The key comes from Spring's interceptor's own key generator. A hit returns the cached value as
 * Spring would return it (wrapped in an {@code Optional} for a method that returns one), counted
 * once, as a hit through {@link TieredCache#lookup(Object)} is. Anything else (an L1 miss, a
 * method that does not qualify, calls made before every singleton exists) proceeds to Spring's
 * interceptor unchanged, which counts and loads as usual.
 *
 * <p>One difference is visible: on an L1 hit, advice ordered between this advisor and Spring's cache
 * advisor does not run. Only advice sharing an order with one of them can sit there, such as
 * {@code @Transactional} at its default order, equal to caching's, when it happens to run outside
 * the cache interceptor: a hit then no longer opens a transaction.
 */
public final class CacheableL1HitAdvisor extends AbstractPointcutAdvisor implements SmartInitializingSingleton {

    private static final long serialVersionUID = 1L;

    private final transient Supplier<@Nullable CacheAspectSupport> interceptor;
    private final transient IntSupplier cacheAdvisorOrder;
    private final transient Shortcuts shortcuts = new Shortcuts();
    private final transient Pointcut pointcut = new StaticMethodMatcherPointcut() {

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            CacheOperationSource source = operationSource();
            return source != null && qualifies(method, source.getCacheOperations(method, targetClass)) != null;
        }

        @Override
        public ClassFilter getClassFilter() {
            return type -> {
                CacheOperationSource source = operationSource();
                return source != null && !CacheManager.class.isAssignableFrom(type) && source.isCandidateClass(type);
            };
        }
    };

    /**
     * Creates the advisor.
     * @param interceptor Spring's cache interceptor, looked up when first needed ({@code null}: none,
     *        and the advisor matches nothing)
     * @param cacheAdvisorOrder the order of Spring's cache advisor, looked up when first needed
     */
    public CacheableL1HitAdvisor(Supplier<@Nullable CacheAspectSupport> interceptor, IntSupplier cacheAdvisorOrder) {
        this.interceptor = Objects.requireNonNull(interceptor, "interceptor");
        this.cacheAdvisorOrder = Objects.requireNonNull(cacheAdvisorOrder, "cacheAdvisorOrder");
    }

    @Override
    public Pointcut getPointcut() {
        return pointcut;
    }

    @Override
    public Advice getAdvice() {
        return shortcuts;
    }

    /** @return one less than Spring's cache advisor, so that this advice runs just before it */
    @Override
    public int getOrder() {
        int order = cacheAdvisorOrder.getAsInt();
        return (order == Ordered.HIGHEST_PRECEDENCE) ? order : order - 1;
    }

    /** Starts serving hits: Spring's interceptor caches nothing before every singleton exists. */
    @Override
    public void afterSingletonsInstantiated() {
        shortcuts.ready = true;
    }

    private @Nullable CacheOperationSource operationSource() {
        CacheAspectSupport aspect = interceptor.get();
        return (aspect != null) ? aspect.getCacheOperationSource() : null;
    }

    /** The method's {@code @Cacheable} when a hit of it can be answered here, else {@code null}. */
    private static @Nullable CacheableOperation qualifies(Method method, @Nullable Collection<CacheOperation> operations) {
        if (operations == null || operations.size() != 1
                || !(operations.iterator().next() instanceof CacheableOperation cacheable)) {
            return null;
        }
        boolean simple = cacheable.getCacheNames().size() == 1 && !StringUtils.hasText(cacheable.getCondition())
                && !StringUtils.hasText(cacheable.getKey()) && !StringUtils.hasText(cacheable.getKeyGenerator())
                && !StringUtils.hasText(cacheable.getCacheManager())
                && !StringUtils.hasText(cacheable.getCacheResolver());
        Class<?> returnType = method.getReturnType();
        boolean plainReturn = returnType != void.class && !CompletableFuture.class.isAssignableFrom(returnType)
                && ReactiveAdapterRegistry.getSharedInstance().getAdapter(returnType) == null;
        return (simple && plainReturn && !method.isVarArgs()) ? cacheable : null;
    }

    /**
     * The advice: answers L1 hits of the methods that qualify, remembering per method and class.
     *
     * <p>A proxy passes the same {@code Method} object on every call, so what was found for a method
     * is first looked up by that object, which the map compares by identity before anything else,
     * together with the target class it was found for; only a method called on targets of several
     * classes goes on to the map by method and class.
     */
    private final class Shortcuts implements MethodInterceptor {

        private static final Object NONE = new Object();

        private final Map<Method, Known> byMethod = new ConcurrentHashMap<>();
        private final Map<MethodClassKey, Object> byMethodAndClass = new ConcurrentHashMap<>();
        private volatile boolean ready;

        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Object target = invocation.getThis();
            if (ready && target != null) {
                Shortcut shortcut = shortcut(invocation.getMethod(), target);
                if (shortcut != null) {
                    Object key = shortcut.keyGenerator.generate(target, shortcut.method, invocation.getArguments());
                    ValueWrapper hit = (key != null) ? shortcut.cache.l1Hit(key) : null;
                    if (hit != null) {
                        return shortcut.returned(hit.get());
                    }
                }
            }
            return invocation.proceed();
        }

        private @Nullable Shortcut shortcut(Method method, Object target) {
            Class<?> targetClass = target.getClass();
            Known first = byMethod.get(method);
            Object known = (first != null && first.targetClass == targetClass) ? first.shortcut : null;
            if (known == null) {
                MethodClassKey id = new MethodClassKey(method, targetClass);
                known = byMethodAndClass.get(id);
                if (known == null) {
                    known = resolve(method, target);
                    if (known == null) {
                        return null;
                    }
                    byMethodAndClass.putIfAbsent(id, known);
                }
                if (first == null) {
                    byMethod.putIfAbsent(method, new Known(targetClass, known));
                }
            }
            return (known instanceof Shortcut shortcut) ? shortcut : null;
        }

        /** A shortcut, {@link #NONE}, or {@code null} when Spring's interceptor is not ready to tell. */
        private @Nullable Object resolve(Method method, Object target) {
            CacheAspectSupport aspect = interceptor.get();
            CacheOperationSource source = (aspect != null) ? aspect.getCacheOperationSource() : null;
            if (aspect == null || source == null) {
                return NONE;
            }
            Class<?> targetClass = AopProxyUtils.ultimateTargetClass(target);
            CacheableOperation cacheable = qualifies(method, source.getCacheOperations(method, targetClass));
            if (cacheable == null) {
                return NONE;
            }
            CacheResolver resolver;
            KeyGenerator keyGenerator;
            try {
                resolver = aspect.getCacheResolver();
                keyGenerator = aspect.getKeyGenerator();
            }
            catch (IllegalStateException ex) {
                return null;
            }
            if (resolver == null) {
                return null;
            }
            if (resolver.getClass() != SimpleCacheResolver.class) {
                return NONE;
            }
            Cache cache = ((SimpleCacheResolver) resolver).getCacheManager()
                    .getCache(cacheable.getCacheNames().iterator().next());
            if (!(cache instanceof MultiTierCache multiTier)) {
                return NONE;
            }
            return new Shortcut(BridgeMethodResolver.findBridgedMethod(method), multiTier.getNativeCache(),
                    keyGenerator, method.getReturnType() == Optional.class);
        }
    }

    /** What was found for a method on a target of one class: a {@link Shortcut} or {@code NONE}. */
    private record Known(Class<?> targetClass, Object shortcut) {
    }

    private record Shortcut(Method method, TieredCache cache, KeyGenerator keyGenerator, boolean optional) {

        @Nullable Object returned(@Nullable Object value) {
            return (optional && (value == null || value.getClass() != Optional.class)) ? Optional.ofNullable(value) : value;
        }
    }
}
