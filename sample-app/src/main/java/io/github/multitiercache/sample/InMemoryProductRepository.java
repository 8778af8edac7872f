package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Repository;

/**
 * The products in memory, the default: nothing to install, and nothing kept across restarts. Not
 * used with the profile {@code postgres} ({@link JdbcProductRepository}).
 *
 * <p>Thread-safe. Seeded with five products, ids 1 to 5, and their stock levels.
 */
@Repository
@Profile("!" + JdbcProductRepository.PROFILE)
public class InMemoryProductRepository implements ProductRepository {

    private final ConcurrentMap<Long, Product> products = new ConcurrentHashMap<>();
    private final ConcurrentMap<Long, Integer> stock = new ConcurrentHashMap<>();
    private final RepositoryCalls calls;
    private final Clock clock;

    /**
     * Creates the repository with its seed products.
     * @param properties the simulated latency
     * @param clock the clock stamping {@link Product#updatedAt()}; the system UTC clock if there is no
     *        {@link Clock} bean
     */
    public InMemoryProductRepository(RepositoryProperties properties, ObjectProvider<Clock> clock) {
        this.calls = new RepositoryCalls(properties.delay());
        this.clock = clock.getIfAvailable(Clock::systemUTC);
        // The same products as the postgres profile's schema script, db/products.sql.
        seed(1, "Espresso machine", "249.00", 12);
        seed(2, "Espresso cups (set of 4)", "19.90", 40);
        seed(3, "Coffee grinder", "89.50", 7);
        seed(4, "Coffee beans, 1 kg", "24.00", 150);
        seed(5, "Milk frother", "39.99", 0);
    }

    @Override
    public @Nullable Product findById(long id) {
        calls.findById();
        return products.get(id);
    }

    @Override
    public Map<Long, Product> findAllById(Collection<Long> ids) {
        calls.findAllById(ids.size());
        Map<Long, Product> found = new LinkedHashMap<>();
        for (Long id : ids) {
            Product product = products.get(id);
            if (product != null) {
                found.put(id, product);
            }
        }
        return found;
    }

    @Override
    public List<Product> findByNamePrefix(String prefix) {
        calls.search();
        String lowerCasePrefix = prefix.toLowerCase(Locale.ROOT);
        return products.values().stream()
                .filter(product -> product.name().toLowerCase(Locale.ROOT).startsWith(lowerCasePrefix))
                .sorted(Comparator.comparingLong(Product::id))
                .toList();
    }

    @Override
    public List<Product> findFeatured() {
        calls.featured();
        return products.values().stream()
                .filter(product -> stock.getOrDefault(product.id(), 0) > 0)
                .sorted(Comparator.comparingLong(Product::id))
                .limit(3)
                .toList();
    }

    @Override
    public @Nullable StockLevel stockOf(long id) {
        calls.stock();
        if (!products.containsKey(id)) {
            return null;
        }
        return new StockLevel(id, stock.getOrDefault(id, 0), clock.instant());
    }

    @Override
    public Product save(long id, String name, BigDecimal price) {
        calls.write();
        Product product = new Product(id, name, price, clock.instant());
        products.put(id, product);
        return product;
    }

    @Override
    public boolean deleteById(long id) {
        calls.write();
        stock.remove(id);
        return products.remove(id) != null;
    }

    @Override
    public LoaderCalls loaderCalls() {
        return calls.counts();
    }

    private void seed(long id, String name, String price, int available) {
        products.put(id, new Product(id, name, new BigDecimal(price), clock.instant()));
        stock.put(id, available);
    }
}
