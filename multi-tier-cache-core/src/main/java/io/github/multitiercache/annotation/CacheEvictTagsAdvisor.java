package io.github.multitiercache.annotation;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.github.multitiercache.spring.MultiTierCacheManager;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.cache.CacheManager;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.MethodClassKey;

/**
 * Runs {@link CacheEvictTags}: evaluates its tags and calls
 * {@link MultiTierCacheManager#evictTags(java.util.Collection, java.util.Collection)} with its cache
 * names, before or after the method.
 */
public final class CacheEvictTagsAdvisor extends AbstractPointcutAdvisor {

    private static final long serialVersionUID = 1L;

    private final transient Supplier<@Nullable CacheManager> cacheManager;
    private final transient Evictions evictions = new Evictions();
    private final transient Pointcut pointcut = new StaticMethodMatcherPointcut() {

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            return annotationOf(method, targetClass) != null;
        }
    };

    /**
     * Creates the advisor.
     * @param cacheManager the cache manager, looked up on first use
     */
    public CacheEvictTagsAdvisor(Supplier<@Nullable CacheManager> cacheManager) {
        this.cacheManager = Objects.requireNonNull(cacheManager, "cacheManager");
    }

    @Override
    public Pointcut getPointcut() {
        return pointcut;
    }

    @Override
    public Advice getAdvice() {
        return evictions;
    }

    private static @Nullable CacheEvictTags annotationOf(Method method, Class<?> targetClass) {
        return AnnotatedMethods.find(method, targetClass, CacheEvictTags.class);
    }

    private final class Evictions implements MethodInterceptor {

        private final Map<MethodClassKey, TagExpressions> expressions = new ConcurrentHashMap<>();

        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Object target = invocation.getThis();
            Method method = invocation.getMethod();
            if (target == null) {
                return invocation.proceed();
            }
            Class<?> targetClass = AopProxyUtils.ultimateTargetClass(target);
            CacheEvictTags annotation = annotationOf(method, targetClass);
            if (annotation == null) {
                return invocation.proceed();
            }
            TagExpressions tags = expressions.computeIfAbsent(new MethodClassKey(method, targetClass),
                    id -> new TagExpressions(annotation.value(), "@CacheEvictTags on " + method));
            MethodBasedEvaluationContext context = TagExpressions.context(method, invocation.getArguments(), target);
            List<String> cacheNames = List.of(annotation.cacheNames());
            if (annotation.beforeInvocation()) {
                evict(tags.evaluate(context), cacheNames, method);
                return invocation.proceed();
            }
            Object result = invocation.proceed();
            context.setVariable("result", result);
            evict(tags.evaluate(context), cacheNames, method);
            return result;
        }

        private void evict(Set<String> tags, List<String> cacheNames, Method method) {
            if (tags.isEmpty()) {
                return;
            }
            CacheManager manager = cacheManager.get();
            if (!(manager instanceof MultiTierCacheManager multiTier)) {
                throw new IllegalStateException("@CacheEvictTags on " + method + " needs a MultiTierCacheManager, but"
                        + " the cache manager is " + manager);
            }
            for (String name : cacheNames) {
                if (multiTier.getCache(name) == null) {
                    throw new IllegalArgumentException("Cannot find cache named '" + name + "' for @CacheEvictTags on "
                            + method);
                }
            }
            multiTier.evictTags(tags, cacheNames);
        }
    }
}
