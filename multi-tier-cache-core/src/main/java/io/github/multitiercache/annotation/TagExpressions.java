package io.github.multitiercache.annotation;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.Expression;
import org.springframework.expression.spel.standard.SpelExpressionParser;

/**
 * The tag expressions of an annotation ({@code tags} of {@link MultiTierCacheable} and
 * {@link CacheableAll}, {@code value} of {@link CacheEvictTags}), parsed once: each is evaluated with
 * the method's arguments by name, {@code #root} and the variables the caller sets ({@code #result},
 * {@code #key}); one yielding a collection or an array adds each element, any other value its
 * string form. {@code null} and blank tags are left out with a warning (at most one per ten seconds).
 */
final class TagExpressions {

    private static final Log logger = LogFactory.getLog(TagExpressions.class);
    private static final SpelExpressionParser PARSER = new SpelExpressionParser();
    private static final ParameterNameDiscoverer PARAMETER_NAMES = new DefaultParameterNameDiscoverer();
    private static final long WARNING_INTERVAL_NANOS = 10_000_000_000L;
    private static final AtomicLong nextWarning = new AtomicLong(Long.MIN_VALUE);

    private final List<Expression> expressions;
    private final String where;

    /**
     * @param texts the expressions
     * @param where the annotated method, for messages
     * @throws org.springframework.expression.ParseException when one does not parse (at startup)
     */
    TagExpressions(String[] texts, String where) {
        List<Expression> parsed = new ArrayList<>(texts.length);
        for (String text : texts) {
            parsed.add(PARSER.parseExpression(text));
        }
        this.expressions = List.copyOf(parsed);
        this.where = where;
    }

    boolean isEmpty() {
        return expressions.isEmpty();
    }

    /** @return an evaluation context for one call of {@code method} */
    static MethodBasedEvaluationContext context(Method method, Object[] arguments, Object target) {
        return new MethodBasedEvaluationContext(new CacheableAllAdvisor.Root(method, arguments, target), method,
                arguments, PARAMETER_NAMES);
    }

    /**
     * @param context the call's context with its variables set
     * @return the tags, in order, without duplicates
     */
    Set<String> evaluate(MethodBasedEvaluationContext context) {
        Set<String> tags = new LinkedHashSet<>();
        for (Expression expression : expressions) {
            add(tags, expression.getValue(context), expression);
        }
        return tags;
    }

    private void add(Set<String> tags, @Nullable Object value, Expression expression) {
        if (value instanceof Collection<?> collection) {
            for (Object element : collection) {
                add(tags, element, expression);
            }
        }
        else if (value != null && value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                add(tags, Array.get(value, i), expression);
            }
        }
        else if (value == null || String.valueOf(value).isBlank()) {
            warn("The tag expression '" + expression.getExpressionString() + "' of " + where
                    + " gave a null or blank tag; it is ignored");
        }
        else {
            tags.add(String.valueOf(value));
        }
    }

    private static void warn(String message) {
        long now = System.nanoTime();
        long next = nextWarning.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextWarning.compareAndSet(next, now + WARNING_INTERVAL_NANOS)) {
            logger.warn(message + " (further such warnings are logged at DEBUG for 10s)");
        }
        else if (logger.isDebugEnabled()) {
            logger.debug(message);
        }
    }
}
