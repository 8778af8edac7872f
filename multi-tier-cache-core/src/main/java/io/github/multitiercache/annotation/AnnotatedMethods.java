package io.github.multitiercache.annotation;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;

import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;

/** How the advisors of this package find their annotation on an advised method. */
final class AnnotatedMethods {

    private AnnotatedMethods() {
    }

    /**
     * The annotation on the target class's implementation of the method, else on the method as
     * invoked (an interface's declaration), merged with its meta-annotations.
     * @return the annotation, or {@code null} when neither carries it
     */
    static <A extends Annotation> @Nullable A find(Method method, Class<?> targetClass, Class<A> type) {
        A found = AnnotatedElementUtils.findMergedAnnotation(AopUtils.getMostSpecificMethod(method, targetClass),
                type);
        return (found != null) ? found : AnnotatedElementUtils.findMergedAnnotation(method, type);
    }
}
