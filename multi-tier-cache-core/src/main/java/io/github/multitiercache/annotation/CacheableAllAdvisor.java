package io.github.multitiercache.annotation;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Supplier;

import io.github.multitiercache.core.TieredCache;
import io.github.multitiercache.spring.MultiTierCache;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Pointcut;
import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.cache.Cache;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.CacheConfig;
import org.springframework.cache.interceptor.SimpleKeyGenerator;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodClassKey;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.Expression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.util.StringUtils;

/**
 * Runs the methods annotated with {@link CacheableAll}: their keys go through
 * {@link TieredCache#getAll}, and the method is called with the keys still missing.
 *
 * <p>Per element, {@code key} gives its cache key ({@code #key} is the element; without it, the
 * key Spring's default key generator makes of a single argument, the element itself) and
 * {@code condition} whether it is cached at all; elements it rejects are passed to the method with
 * the missing ones, on every call. {@code unless} is evaluated per loaded value ({@code #result}).
 * The expressions also see the method's arguments by name and {@code #root.method},
 * {@code #root.target}, {@code #root.args}. An exception of the method reaches the caller as the
 * method threw it.
 */
public final class CacheableAllAdvisor extends AbstractPointcutAdvisor {

    private static final long serialVersionUID = 1L;

    private final transient Supplier<@Nullable CacheManager> cacheManager;
    private final transient BulkCalls calls = new BulkCalls();
    private final transient Pointcut pointcut = new StaticMethodMatcherPointcut() {

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            return annotationOf(method, targetClass) != null;
        }
    };

    /**
     * Creates the advisor.
     * @param cacheManager the cache manager, looked up on first use ({@code null}: none yet, and the
     *        method runs uncached)
     */
    public CacheableAllAdvisor(Supplier<@Nullable CacheManager> cacheManager) {
        this.cacheManager = Objects.requireNonNull(cacheManager, "cacheManager");
    }

    @Override
    public Pointcut getPointcut() {
        return pointcut;
    }

    @Override
    public Advice getAdvice() {
        return calls;
    }

    private static @Nullable CacheableAll annotationOf(Method method, Class<?> targetClass) {
        return AnnotatedMethods.find(method, targetClass, CacheableAll.class);
    }

    /** The advice: one {@link Operation} per method and class, made on its first call. */
    private final class BulkCalls implements MethodInterceptor {

        private final Map<MethodClassKey, Operation> operations = new ConcurrentHashMap<>();

        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Object target = invocation.getThis();
            Object[] arguments = invocation.getArguments();
            if (target == null || !(invocation instanceof ProxyMethodInvocation proxied) || arguments.length != 1
                    || !(arguments[0] instanceof Iterable<?> elements)) {
                return invocation.proceed();
            }
            Operation operation = operation(invocation.getMethod(), target);
            return (operation != null) ? operation.call(proxied, target, elements) : invocation.proceed();
        }

        private @Nullable Operation operation(Method method, Object target) {
            Class<?> targetClass = AopProxyUtils.ultimateTargetClass(target);
            MethodClassKey id = new MethodClassKey(method, targetClass);
            Operation known = operations.get(id);
            if (known != null) {
                return known;
            }
            CacheableAll annotation = annotationOf(method, targetClass);
            CacheManager manager = cacheManager.get();
            if (annotation == null || manager == null) {
                return null;
            }
            String name = cacheName(annotation, targetClass, method);
            Cache cache = manager.getCache(name);
            if (!(cache instanceof MultiTierCache multiTier)) {
                throw new IllegalStateException("@CacheableAll on " + method + " needs a multi-tier cache, but cache '"
                        + name + "' is " + cache);
            }
            Operation operation = new Operation(multiTier.getNativeCache(), method,
                    method.getParameterTypes()[0] == Set.class, expression(annotation.key()),
                    expression(annotation.condition()), expression(annotation.unless()),
                    new TagExpressions(annotation.tags(), "@CacheableAll on " + method));
            operations.putIfAbsent(id, operation);
            return operation;
        }

        private String cacheName(CacheableAll annotation, Class<?> targetClass, Method method) {
            if (annotation.cacheNames().length == 1) {
                return annotation.cacheNames()[0];
            }
            CacheConfig config = AnnotatedElementUtils.findMergedAnnotation(targetClass, CacheConfig.class);
            if (annotation.cacheNames().length == 0 && config != null && config.cacheNames().length == 1) {
                return config.cacheNames()[0];
            }
            throw new IllegalStateException("@CacheableAll on " + method + " must name exactly one cache");
        }
    }

    private static final SpelExpressionParser PARSER = new SpelExpressionParser();
    private static final ParameterNameDiscoverer PARAMETER_NAMES = new DefaultParameterNameDiscoverer();

    private static @Nullable Expression expression(String text) {
        return StringUtils.hasText(text) ? PARSER.parseExpression(text) : null;
    }

    /** One annotated method: its cache, the kind of collection it takes, and its expressions. */
    private record Operation(TieredCache cache, Method method, boolean takesSet, @Nullable Expression key,
            @Nullable Expression condition, @Nullable Expression unless, TagExpressions tags) {

        Map<Object, Object> call(ProxyMethodInvocation invocation, Object target, Iterable<?> requested)
                throws Throwable {
            Set<Object> elements = new LinkedHashSet<>();
            requested.forEach(elements::add);
            MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(
                    new Root(method, invocation.getArguments(), target), method, invocation.getArguments(),
                    PARAMETER_NAMES);
            Map<Object, Object> keyOf = new LinkedHashMap<>();
            Map<Object, Object> elementOf = new HashMap<>();
            List<Object> uncached = new ArrayList<>();
            for (Object element : elements) {
                context.setVariable("key", element);
                if (element == null || (condition != null && !Boolean.TRUE.equals(condition.getValue(context,
                        Boolean.class)))) {
                    uncached.add(element);
                    continue;
                }
                Object cacheKey = (key != null) ? key.getValue(context) : SimpleKeyGenerator.generateKey(element);
                if (cacheKey == null) {
                    uncached.add(element);
                    continue;
                }
                keyOf.put(element, cacheKey);
                elementOf.putIfAbsent(cacheKey, element);
            }
            Map<Object, Object> fromUncached = new HashMap<>();
            boolean[] uncachedLoaded = new boolean[1];
            Function<Set<Object>, Map<Object, Object>> loader = keys -> {
                List<Object> arguments = new ArrayList<>(keys.size() + uncached.size());
                keys.forEach(cacheKey -> arguments.add(elementOf.get(cacheKey)));
                arguments.addAll(uncached);
                Map<?, ?> returned = invoke(invocation, arguments);
                uncachedLoaded[0] = true;
                Map<Object, Object> byKey = new HashMap<>();
                for (Object cacheKey : keys) {
                    Object value = returned.get(elementOf.get(cacheKey));
                    if (value != null) {
                        byKey.put(cacheKey, value);
                    }
                }
                uncached.forEach(element -> fromUncached.put(element, returned.get(element)));
                return byKey;
            };
            Map<Object, Object> cached;
            try {
                BiPredicate<Object, @Nullable Object> keeps = (unless == null) ? null : (cacheKey, value) -> {
                    context.setVariable("key", elementOf.get(cacheKey));
                    context.setVariable("result", value);
                    return !Boolean.TRUE.equals(unless.getValue(context, Boolean.class));
                };
                if (!tags.isEmpty()) {
                    cached = cache.getAll(keyOf.values(), loader, keeps, (cacheKey, value) -> {
                        context.setVariable("key", elementOf.get(cacheKey));
                        context.setVariable("result", value);
                        return tags.evaluate(context);
                    });
                }
                else if (keeps == null) {
                    cached = cache.getAll(keyOf.values(), loader);
                }
                else {
                    cached = cache.getAll(keyOf.values(), loader, keeps);
                }
            }
            catch (ValueRetrievalException ex) {
                throw (ex.getCause() instanceof MethodFailure failure) ? failure.getCause() : ex;
            }
            catch (MethodFailure failure) {
                throw failure.getCause();
            }
            if (!uncached.isEmpty() && !uncachedLoaded[0]) {
                try {
                    fromUncached.putAll(invoke(invocation, uncached));
                }
                catch (MethodFailure failure) {
                    throw failure.getCause();
                }
            }
            Map<Object, Object> result = new LinkedHashMap<>();
            for (Object element : elements) {
                Object value = keyOf.containsKey(element) ? cached.get(keyOf.get(element)) : fromUncached.get(element);
                if (value != null) {
                    result.put(element, value);
                }
            }
            return result;
        }

        /** Calls the method (through the rest of the advice chain) with some of the elements. */
        private Map<?, ?> invoke(ProxyMethodInvocation invocation, List<Object> elements) {
            Collection<Object> argument = takesSet ? Collections.unmodifiableSet(new LinkedHashSet<>(elements))
                    : Collections.unmodifiableList(elements);
            try {
                Object returned = invocation.invocableClone(argument).proceed();
                return (returned instanceof Map<?, ?> map) ? map : Map.of();
            }
            catch (Throwable ex) {
                throw new MethodFailure(ex);
            }
        }
    }

    /** An exception of the annotated method, carried through the cache to its caller unchanged. */
    private static final class MethodFailure extends RuntimeException {

        private static final long serialVersionUID = 1L;

        MethodFailure(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }

        @Override
        public synchronized Throwable getCause() {
            return Objects.requireNonNull(super.getCause());
        }
    }

    /** What {@code #root} shows the expressions. */
    public static final class Root {

        private final Method method;
        private final Object[] args;
        private final Object target;

        Root(Method method, Object[] args, Object target) {
            this.method = method;
            this.args = args;
            this.target = target;
        }

        /** @return the annotated method */
        public Method getMethod() {
            return method;
        }

        /** @return its name */
        public String getMethodName() {
            return method.getName();
        }

        /** @return the call's arguments: the whole collection of keys */
        public Object[] getArgs() {
            return args;
        }

        /** @return the bean called */
        public Object getTarget() {
            return target;
        }

        /** @return its class */
        public Class<?> getTargetClass() {
            return AopProxyUtils.ultimateTargetClass(target);
        }
    }
}
