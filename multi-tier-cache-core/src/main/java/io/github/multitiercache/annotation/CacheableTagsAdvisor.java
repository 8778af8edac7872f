package io.github.multitiercache.annotation;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.spring.TagFrame;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Pointcut;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.CacheConfig;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.MethodClassKey;
import org.springframework.core.Ordered;
import org.springframework.core.ReactiveAdapterRegistry;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * Gives the values of {@link MultiTierCacheable} methods with {@code tags} their tags. Ordered just
 * outside Spring's cache advisor, it binds a {@link TagFrame} to the calling thread for the call:
 * when Spring's cache interceptor then writes the method's result to one of the method's caches
 * ({@code Cache.get(key, loader)} or {@code Cache.put}), the multi-tier cache evaluates the tag
 * expressions with the arguments and {@code #result} = the value, and stores it with its tags and
 * the call's start as its as-of time. An L1 hit writes nothing, so evaluates nothing.
 *
 * <p>A method returning a {@code CompletableFuture}, a {@code Mono} or a {@code Flux} has its value
 * written after the call returned, on another thread: the cache reads the frame on the calling thread
 * instead (see {@link io.github.multitiercache.spring.MultiTierCache}), and the frame is
 * {@linkplain TagFrame#release() released} only once the returned future completed or the publisher
 * terminated, which Spring's put precedes. A cancelled {@code Flux} (whose value Spring may still
 * put) and other reactive types leave the frame's records to age (see {@code PendingTags}).
 */
public final class CacheableTagsAdvisor extends AbstractPointcutAdvisor {

    private static final long serialVersionUID = 1L;
    private static final boolean REACTOR = ClassUtils.isPresent("reactor.core.publisher.Mono",
            CacheableTagsAdvisor.class.getClassLoader());

    private final transient Supplier<@Nullable CacheManager> cacheManager;
    private final transient IntSupplier cacheAdvisorOrder;
    private final transient Frames frames = new Frames();
    private final transient Pointcut pointcut = new StaticMethodMatcherPointcut() {

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            MultiTierCacheable annotation = annotationOf(method, targetClass);
            return annotation != null && annotation.tags().length > 0;
        }
    };

    /**
     * Creates the advisor.
     * @param cacheManager the cache manager, looked up on first use
     * @param cacheAdvisorOrder the order of Spring's cache advisor, looked up when first needed
     */
    public CacheableTagsAdvisor(Supplier<@Nullable CacheManager> cacheManager, IntSupplier cacheAdvisorOrder) {
        this.cacheManager = Objects.requireNonNull(cacheManager, "cacheManager");
        this.cacheAdvisorOrder = Objects.requireNonNull(cacheAdvisorOrder, "cacheAdvisorOrder");
    }

    @Override
    public Pointcut getPointcut() {
        return pointcut;
    }

    @Override
    public Advice getAdvice() {
        return frames;
    }

    /** @return one less than Spring's cache advisor, so that the frame encloses its interceptor */
    @Override
    public int getOrder() {
        int order = cacheAdvisorOrder.getAsInt();
        return (order == Ordered.HIGHEST_PRECEDENCE) ? order : order - 1;
    }

    private static @Nullable MultiTierCacheable annotationOf(Method method, Class<?> targetClass) {
        return AnnotatedMethods.find(method, targetClass, MultiTierCacheable.class);
    }

    /**
     * The tags of one annotated method and the caches they apply to.
     * @param completesLater whether it returns a future or a publisher, whose value Spring puts later
     */
    private record Tagging(TagExpressions tags, Set<String> cacheNames, boolean completesLater) {
    }

    private static boolean completesLater(Class<?> returnType) {
        return CompletableFuture.class.isAssignableFrom(returnType)
                || ReactiveAdapterRegistry.getSharedInstance().getAdapter(returnType) != null;
    }

    /** A call's method and arguments: equal calls give a value the same tags. */
    private record Call(Tagging tagging, List<@Nullable Object> arguments) {
    }

    /** Reactor's types, touched only when Reactor is on the class path. */
    private static final class Reactor {

        static boolean handles(Object result) {
            return result instanceof Mono<?> || result instanceof Flux<?>;
        }

        /** Released on completion or error; a cancelled subscription may still be put, so it is left to age. */
        static Object releasedWhenDone(Object result, TagFrame frame) {
            Consumer<SignalType> release = signal -> {
                if (signal != SignalType.CANCEL) {
                    frame.release();
                }
            };
            return (result instanceof Mono<?> mono) ? mono.doFinally(release) : ((Flux<?>) result).doFinally(release);
        }
    }

    private final class Frames implements MethodInterceptor {

        private final Map<MethodClassKey, Tagging> taggings = new ConcurrentHashMap<>();

        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Object target = invocation.getThis();
            CacheManager manager = cacheManager.get();
            if (target == null || !(manager instanceof MultiTierCacheManager multiTier)) {
                return invocation.proceed();
            }
            Method method = invocation.getMethod();
            Class<?> targetClass = AopProxyUtils.ultimateTargetClass(target);
            Tagging tagging = taggings.get(new MethodClassKey(method, targetClass));
            if (tagging == null) {
                MultiTierCacheable annotation = annotationOf(method, targetClass);
                if (annotation == null || annotation.tags().length == 0) {
                    return invocation.proceed();
                }
                tagging = new Tagging(new TagExpressions(annotation.tags(), "@MultiTierCacheable on " + method),
                        cacheNames(annotation, targetClass), completesLater(method.getReturnType()));
                taggings.putIfAbsent(new MethodClassKey(method, targetClass), tagging);
            }
            Object[] arguments = invocation.getArguments();
            TagExpressions tags = tagging.tags();
            TagFrame frame = TagFrame.open(tagging.cacheNames(), value -> {
                MethodBasedEvaluationContext context = TagExpressions.context(method, arguments, target);
                context.setVariable("result", value);
                return tags.evaluate(context);
            }, multiTier.getContext().tags().asOf(), new Call(tagging, Arrays.asList(arguments)),
                    multiTier::getCache);
            Object result;
            try {
                result = invocation.proceed();
            }
            catch (Throwable ex) {
                frame.release();
                throw ex;
            }
            finally {
                frame.close();
            }
            if (!tagging.completesLater()) {
                frame.release();
                return result;
            }
            return releasedWhenDone(result, frame);
        }

        /** @return the result, the frame released once its value was written */
        private @Nullable Object releasedWhenDone(@Nullable Object result, TagFrame frame) {
            if (result instanceof CompletableFuture<?> future) {
                future.whenComplete((value, error) -> frame.release());
                return result;
            }
            if (result != null && REACTOR && Reactor.handles(result)) {
                return Reactor.releasedWhenDone(result, frame);
            }
            if (result == null) {
                frame.release();
            }
            // Another reactive type: its records are left to age.
            return result;
        }

        private Set<String> cacheNames(MultiTierCacheable annotation, Class<?> targetClass) {
            if (annotation.cacheNames().length > 0) {
                return Set.of(annotation.cacheNames());
            }
            CacheConfig config = AnnotatedElementUtils.findMergedAnnotation(targetClass, CacheConfig.class);
            return (config != null) ? Set.of(config.cacheNames()) : Set.of();
        }
    }
}
