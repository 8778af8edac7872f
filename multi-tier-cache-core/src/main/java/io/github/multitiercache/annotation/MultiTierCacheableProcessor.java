package io.github.multitiercache.annotation;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import io.github.multitiercache.core.CacheOptions;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.cache.annotation.CacheConfig;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;

/**
 * Finds {@link MultiTierCacheable} on the beans of a context and records their options in a
 * {@link CacheOptionsRegistry}, failing the startup on an invalid or contradictory option; and checks
 * the shape of {@link CacheableAll} methods and records their options the same way.
 */
public final class MultiTierCacheableProcessor implements BeanPostProcessor {

    private final CacheOptionsRegistry registry;

    /**
     * Creates the processor.
     * @param registry where options are recorded
     */
    public MultiTierCacheableProcessor(CacheOptionsRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> type = AopUtils.getTargetClass(bean);
        if (!AnnotationUtils.isCandidateClass(type, List.of(MultiTierCacheable.class, CacheableAll.class))) {
            return bean;
        }
        CacheConfig config = AnnotatedElementUtils.findMergedAnnotation(type, CacheConfig.class);
        String[] defaultNames = (config != null) ? config.cacheNames() : new String[0];
        MultiTierCacheable onType = AnnotatedElementUtils.findMergedAnnotation(type, MultiTierCacheable.class);
        if (onType != null) {
            register(onType, defaultNames, type.getName());
        }
        Map<Method, MultiTierCacheable> methods = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<MultiTierCacheable>) method ->
                        AnnotatedElementUtils.findMergedAnnotation(method, MultiTierCacheable.class));
        methods.forEach((method, annotation) -> register(annotation, defaultNames, describe(type, method)));
        Map<Method, CacheableAll> bulk = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<CacheableAll>) method ->
                        AnnotatedElementUtils.findMergedAnnotation(method, CacheableAll.class));
        bulk.forEach((method, annotation) -> registerBulk(method, annotation, defaultNames, describe(type, method)));
        return bean;
    }

    /**
     * Checks the shape of a {@link CacheableAll} method and records its options.
     * @throws IllegalStateException when the method does not take one collection of keys, return a
     *         {@code Map} and name one cache, or an option is invalid
     */
    private void registerBulk(Method method, CacheableAll annotation, String[] defaultNames, String source) {
        String[] names = (annotation.cacheNames().length > 0) ? annotation.cacheNames() : defaultNames;
        if (names.length != 1) {
            throw new IllegalStateException("@CacheableAll on " + source + " must name exactly one cache (cacheNames,"
                    + " or @CacheConfig on the class) but names " + names.length);
        }
        Class<?> parameter = (method.getParameterCount() == 1) ? method.getParameterTypes()[0] : void.class;
        // The keys are passed as an unmodifiable List, or Set for a Set parameter.
        if (!parameter.isAssignableFrom(List.class) && parameter != Set.class) {
            throw new IllegalStateException("@CacheableAll on " + source + " needs exactly one parameter, a"
                    + " Collection, Set, List or Iterable of keys");
        }
        if (!method.getReturnType().isAssignableFrom(LinkedHashMap.class)) {
            throw new IllegalStateException("@CacheableAll on " + source + " needs a method returning a Map of the"
                    + " keys to their values, not " + method.getReturnType().getName());
        }
        CacheOptions options;
        try {
            options = OptionAttributes.cacheableAll().read(annotation);
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalStateException("Invalid @CacheableAll on " + source + ": " + ex.getMessage(), ex);
        }
        registry.register(names[0], options, source);
    }

    /**
     * Reads the tier options of one annotation.
     * @param annotation the annotation
     * @param source what carries it, for error messages
     * @return the options it sets
     * @throws IllegalStateException when an option is invalid
     */
    static CacheOptions optionsOf(MultiTierCacheable annotation, String source) {
        try {
            return OptionAttributes.multiTierCacheable().read(annotation);
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalStateException("Invalid @MultiTierCacheable on " + source + ": " + ex.getMessage(), ex);
        }
    }

    private void register(MultiTierCacheable annotation, String[] defaultNames, String source) {
        String[] names = (annotation.cacheNames().length > 0) ? annotation.cacheNames() : defaultNames;
        CacheOptions options = optionsOf(annotation, source);
        if (names.length == 0 && !options.isEmpty()) {
            throw new IllegalStateException("@MultiTierCacheable on " + source
                    + " sets tier options but names no cache (cacheNames, or @CacheConfig on the class)");
        }
        for (String name : names) {
            registry.register(name, options, source);
        }
    }

    private static String describe(Class<?> type, Method method) {
        String parameters = Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(", "));
        return type.getName() + "." + method.getName() + "(" + parameters + ")";
    }
}
