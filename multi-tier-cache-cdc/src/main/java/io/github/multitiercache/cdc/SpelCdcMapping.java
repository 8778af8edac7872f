package io.github.multitiercache.cdc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.springframework.expression.spel.support.MapAccessor;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.Expression;
import org.springframework.expression.ExpressionException;
import org.springframework.expression.ParserContext;
import org.springframework.expression.common.CompositeStringExpression;
import org.springframework.expression.common.LiteralExpression;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.ast.CompoundExpression;
import org.springframework.expression.spel.ast.Indexer;
import org.springframework.expression.spel.ast.PropertyOrFieldReference;
import org.springframework.expression.spel.ast.StringLiteral;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.SimpleEvaluationContext;

/**
 * The mapping of {@code multi-tier-cache.cdc.tables}: per table, keys and tags as SpEL templates over the
 * row's columns ({@code #{id}}, {@code category:#{category_id}}). A template that is exactly one
 * expression gives the column's value itself (a {@code Long} for an int8 column), so the key is the
 * one {@code @Cacheable find(Long id)} caches under; any other template gives text. A template whose
 * expression yields {@code null} (a column that is null, or absent from a delete's key-only image)
 * evicts nothing. A tag template may be a constant ({@code products:all}: every change evicts it); a
 * key template must hold an expression. The evaluation context is read-only and reaches the row's
 * columns only.
 */
public final class SpelCdcMapping implements CdcMapping {

    private static final SpelExpressionParser PARSER = new SpelExpressionParser();

    private final Map<String, TableRules> tables;

    private SpelCdcMapping(Map<String, TableRules> tables) {
        this.tables = tables;
    }

    /**
     * Parses the mapping.
     * @param tables the configured tables
     * @return the mapping
     * @throws IllegalArgumentException naming the table and template that do not parse, or a table name
     *         that is not {@code schema.table}
     */
    public static SpelCdcMapping of(Map<String, CdcProperties.Table> tables) {
        Map<String, TableRules> rules = new LinkedHashMap<>();
        tables.forEach((table, spec) -> {
            if (!table.matches("[^.\\s]+\\.[^.\\s]+")) {
                throw new IllegalArgumentException("multi-tier-cache.cdc.tables: '" + table
                        + "' is not a table name of the form schema.table (e.g. public.products)");
            }
            List<KeyRule> keys = new ArrayList<>();
            for (int i = 0; i < spec.getEvict().size(); i++) {
                CdcProperties.Evict evict = spec.getEvict().get(i);
                String where = "multi-tier-cache.cdc.tables[" + table + "].evict[" + i + "]";
                if (evict.getCache().isBlank()) {
                    throw new IllegalArgumentException(where + ".cache is missing");
                }
                keys.add(new KeyRule(evict.getCache(), parse(where + ".key", evict.getKey(), false)));
            }
            List<Expression> tags = new ArrayList<>();
            for (int i = 0; i < spec.getTags().size(); i++) {
                tags.add(parse("multi-tier-cache.cdc.tables[" + table + "].tags[" + i + "]", spec.getTags().get(i), true));
            }
            if (keys.isEmpty() && tags.isEmpty()) {
                throw new IllegalArgumentException("multi-tier-cache.cdc.tables[" + table
                        + "] evicts nothing: give it evict entries or tags");
            }
            rules.put(table, new TableRules(List.copyOf(keys), List.copyOf(tags)));
        });
        return new SpelCdcMapping(Collections.unmodifiableMap(rules));
    }

    /**
     * @param constant whether a template without expression is allowed: a tag every change of the
     *        table evicts (the tag of a list of all its rows) may be; a key may not, since a key
     *        template that forgot its {@code #{...}} would evict one wrong entry for every row
     */
    private static Expression parse(String where, String template, boolean constant) {
        if (template.isBlank()) {
            throw new IllegalArgumentException(where + " is empty");
        }
        Expression expression;
        try {
            expression = PARSER.parseExpression(template, ParserContext.TEMPLATE_EXPRESSION);
        } catch (ExpressionException | IllegalStateException e) {
            throw new IllegalArgumentException(where + ": cannot parse the SpEL template '" + template + "': "
                    + e.getMessage(), e);
        }
        if (expression instanceof LiteralExpression && !constant) {
            throw new IllegalArgumentException(where + ": the template '" + template
                    + "' has no #{...} expression, so every row would evict the same entry");
        }
        return expression;
    }

    @Override
    public Set<String> tables() {
        return tables.keySet();
    }

    @Override
    public Set<String> cacheNames() {
        Set<String> names = new LinkedHashSet<>();
        tables.values().forEach(rules -> rules.keys().forEach(rule -> names.add(rule.cache())));
        return names;
    }

    @Override
    public boolean hasTags() {
        return tables.values().stream().anyMatch(rules -> !rules.tags().isEmpty());
    }

    @Override
    public void evictionsOf(String table, Map<String, @Nullable Object> row, CdcEvictions into) {
        TableRules rules = tables.get(table);
        if (rules == null) {
            return;
        }
        EvaluationContext context = SimpleEvaluationContext.forPropertyAccessors(new MapAccessor())
                .withRootObject(row).build();
        for (KeyRule rule : rules.keys()) {
            Object key = evaluate(rule.key(), context);
            if (key != null) {
                into.key(rule.cache(), key);
            }
        }
        for (Expression tag : rules.tags()) {
            Object value = evaluate(tag, context);
            if (value != null) {
                into.tag(value.toString());
            }
        }
    }

    /** The value of a single expression, or the text of a composite one; null if any part is null. */
    private static @Nullable Object evaluate(Expression expression, EvaluationContext context) {
        if (expression instanceof CompositeStringExpression composite) {
            StringBuilder text = new StringBuilder();
            for (Expression part : composite.getExpressions()) {
                Object value = part.getValue(context);
                if (value == null) {
                    return null;
                }
                text.append(value);
            }
            return text.toString();
        }
        return expression.getValue(context);
    }

    /**
     * The columns the table's templates read: the names at the head of every expression
     * ({@code #{id}}, {@code #{100 / qty}}, {@code #{name.length}} reads {@code name}).
     */
    @Override
    public @Nullable Set<String> columnsOf(String table) {
        TableRules rules = tables.get(table);
        if (rules == null) {
            return null;
        }
        Set<String> columns = new LinkedHashSet<>();
        rules.keys().forEach(rule -> columnsOf(rule.key(), columns));
        rules.tags().forEach(tag -> columnsOf(tag, columns));
        return columns;
    }

    private static void columnsOf(Expression expression, Set<String> into) {
        if (expression instanceof CompositeStringExpression composite) {
            for (Expression part : composite.getExpressions()) {
                columnsOf(part, into);
            }
        } else if (expression instanceof SpelExpression spel) {
            columnsOf(spel.getAST(), into);
        }
    }

    private static void columnsOf(SpelNode node, Set<String> into) {
        if (node instanceof PropertyOrFieldReference reference) {
            into.add(reference.getName());
        } else if (node instanceof Indexer && node.getChildCount() == 1 && node.getChild(0) instanceof StringLiteral) {
            // #{['id']}: an index into the row
            into.add(String.valueOf(((StringLiteral) node.getChild(0)).getLiteralValue().getValue()));
        } else if (node instanceof CompoundExpression && node.getChildCount() > 0) {
            // #{name.length}: the row's column is the head, the rest reads its value
            columnsOf(node.getChild(0), into);
        } else {
            for (int i = 0; i < node.getChildCount(); i++) {
                columnsOf(node.getChild(i), into);
            }
        }
    }

    @Override
    public Set<String> cachesOf(String table) {
        TableRules rules = tables.get(table);
        if (rules == null) {
            return Set.of();
        }
        Set<String> names = new LinkedHashSet<>();
        rules.keys().forEach(rule -> names.add(rule.cache()));
        return names;
    }

    @Override
    public Set<String> constantTagsOf(String table) {
        TableRules rules = tables.get(table);
        if (rules == null) {
            return Set.of();
        }
        Set<String> tags = new LinkedHashSet<>();
        for (Expression tag : rules.tags()) {
            if (tag instanceof LiteralExpression literal) {
                tags.add(literal.getExpressionString());
            }
        }
        return tags;
    }

    private record KeyRule(String cache, Expression key) {
    }

    private record TableRules(List<KeyRule> keys, List<Expression> tags) {
    }
}
