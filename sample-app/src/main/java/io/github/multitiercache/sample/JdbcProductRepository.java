package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Profile;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The products in PostgreSQL's table {@code public.products}, with the profile {@code postgres}. The
 * table, its trigger and the seed products come from {@code db/products.sql}, run at startup
 * ({@code application-postgres.yml}). Anyone may change the table (another service, a person at the
 * {@code psql} prompt): the change-data-capture consumer evicts what such a change made stale.
 *
 * <p>Every call also waits {@code sample.repository.delay}, so that cache hits stand out against a
 * database on the same machine.
 */
@Repository
@Profile(JdbcProductRepository.PROFILE)
public class JdbcProductRepository implements ProductRepository {

    /** The Spring profile that keeps the products in PostgreSQL. */
    public static final String PROFILE = "postgres";

    private static final String COLUMNS = "id, name, price, updated_at";

    private final JdbcClient jdbc;
    private final RepositoryCalls calls;
    private final Clock clock;

    /**
     * Creates the repository.
     * @param jdbc the client of the application's {@code DataSource}
     * @param properties the simulated latency
     * @param clock the clock stamping {@link Product#updatedAt()} on save; the system UTC clock if
     *        there is no {@link Clock} bean
     */
    public JdbcProductRepository(JdbcClient jdbc, RepositoryProperties properties, ObjectProvider<Clock> clock) {
        this.jdbc = jdbc;
        this.calls = new RepositoryCalls(properties.delay());
        this.clock = clock.getIfAvailable(Clock::systemUTC);
    }

    @Override
    public @Nullable Product findById(long id) {
        calls.findById();
        return jdbc.sql("SELECT " + COLUMNS + " FROM public.products WHERE id = ?").param(id)
                .query(JdbcProductRepository::product).optional().orElse(null);
    }

    @Override
    public Map<Long, Product> findAllById(Collection<Long> ids) {
        calls.findAllById(ids.size());
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<Long, Product> byId = jdbc.sql("SELECT " + COLUMNS + " FROM public.products WHERE id IN (:ids)")
                .param("ids", List.copyOf(ids)).query(JdbcProductRepository::product).stream()
                .collect(Collectors.toMap(Product::id, Function.identity()));
        // In the order of the ids asked for, as the in-memory repository answers.
        return ids.stream().filter(byId::containsKey)
                .collect(Collectors.toMap(Function.identity(), byId::get, (first, same) -> first, LinkedHashMap::new));
    }

    @Override
    public List<Product> findByNamePrefix(String prefix) {
        calls.search();
        return jdbc.sql("SELECT " + COLUMNS + " FROM public.products WHERE starts_with(lower(name), lower(?))"
                + " ORDER BY id").param(prefix).query(JdbcProductRepository::product).list();
    }

    @Override
    public List<Product> findFeatured() {
        calls.featured();
        return jdbc.sql("SELECT " + COLUMNS + " FROM public.products WHERE available > 0 ORDER BY id LIMIT 3")
                .query(JdbcProductRepository::product).list();
    }

    @Override
    public @Nullable StockLevel stockOf(long id) {
        calls.stock();
        return jdbc.sql("SELECT available FROM public.products WHERE id = ?").param(id)
                .query((rs, row) -> new StockLevel(id, rs.getInt("available"), clock.instant()))
                .optional().orElse(null);
    }

    @Override
    public Product save(long id, String name, BigDecimal price) {
        calls.write();
        return jdbc.sql("INSERT INTO public.products (id, name, price, updated_at) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price,"
                + " updated_at = excluded.updated_at RETURNING " + COLUMNS)
                .params(id, name, price, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
                .query(JdbcProductRepository::product).single();
    }

    @Override
    public boolean deleteById(long id) {
        calls.write();
        return jdbc.sql("DELETE FROM public.products WHERE id = ?").param(id).update() > 0;
    }

    @Override
    public LoaderCalls loaderCalls() {
        return calls.counts();
    }

    private static Product product(ResultSet rs, int row) throws SQLException {
        OffsetDateTime updatedAt = rs.getObject("updated_at", OffsetDateTime.class);
        return new Product(rs.getLong("id"), rs.getString("name"), rs.getBigDecimal("price"), updatedAt.toInstant());
    }
}
