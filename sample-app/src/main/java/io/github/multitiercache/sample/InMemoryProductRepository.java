package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Repository;

/**
 * The products, in memory, and deliberately slow: every call waits {@code sample.repository.delay}
 * (200 ms by default) like a remote database would, and the reads are counted, so the demo can
 * show which requests the caches answered.
 *
 * <p>Thread-safe. Seeded with five products, ids 1 to 5, and their stock levels.
 */
@Repository
public class ProductRepository {

    private final ConcurrentMap<Long, Product> products = new ConcurrentHashMap<>();
    private final ConcurrentMap<Long, Integer> stock = new ConcurrentHashMap<>();
    private final AtomicLong findByIdCalls = new AtomicLong();
    private final AtomicLong findAllByIdCalls = new AtomicLong();
    private final AtomicLong findAllByIdKeys = new AtomicLong();
    private final AtomicLong searchCalls = new AtomicLong();
    private final AtomicLong stockCalls = new AtomicLong();
    private final AtomicLong featuredCalls = new AtomicLong();
    private final Duration delay;
    private final Clock clock;

    /**
     * Creates the repository with its seed products.
     * @param properties the simulated latency
     * @param clock the clock stamping {@link Product#updatedAt()}; the system UTC clock if there is no
     *        {@link Clock} bean
     */
    public ProductRepository(RepositoryProperties properties, ObjectProvider<Clock> clock) {
        this.delay = properties.delay();
        this.clock = clock.getIfAvailable(Clock::systemUTC);
        seed(1, "Espresso machine", "249.00", 12);
        seed(2, "Espresso cups (set of 4)", "19.90", 40);
        seed(3, "Coffee grinder", "89.50", 7);
        seed(4, "Coffee beans, 1 kg", "24.00", 150);
        seed(5, "Milk frother", "39.99", 0);
    }

    /**
     * Reads one product, slowly.
     * @param id the product's id
     * @return the product, or {@code null} if there is none with this id
     */
    public @Nullable Product findById(long id) {
        findByIdCalls.incrementAndGet();
        simulateLatency();
        return products.get(id);
    }

    /**
     * Reads many products in one query, as slowly as one.
     * @param ids the products' ids
     * @return the products found, by id; an id without a product is absent
     */
    public Map<Long, Product> findAllById(Collection<Long> ids) {
        findAllByIdCalls.incrementAndGet();
        findAllByIdKeys.addAndGet(ids.size());
        simulateLatency();
        Map<Long, Product> found = new LinkedHashMap<>();
        for (Long id : ids) {
            Product product = products.get(id);
            if (product != null) {
                found.put(id, product);
            }
        }
        return found;
    }

    /**
     * Finds the products whose name starts with a prefix, ignoring case, slowly.
     * @param prefix the prefix; empty matches every product
     * @return the matching products, by id
     */
    public List<Product> findByNamePrefix(String prefix) {
        searchCalls.incrementAndGet();
        simulateLatency();
        String lowerCasePrefix = prefix.toLowerCase(Locale.ROOT);
        return products.values().stream()
                .filter(product -> product.name().toLowerCase(Locale.ROOT).startsWith(lowerCasePrefix))
                .sorted(Comparator.comparingLong(Product::id))
                .toList();
    }

    /**
     * Picks the products featured on the home page, slowly: those in stock, three at most, by id.
     * @return the featured products
     */
    public List<Product> findFeatured() {
        featuredCalls.incrementAndGet();
        simulateLatency();
        return products.values().stream()
                .filter(product -> stock.getOrDefault(product.id(), 0) > 0)
                .sorted(Comparator.comparingLong(Product::id))
                .limit(3)
                .toList();
    }

    /**
     * Counts the units of a product in stock, slowly.
     * @param id the product's id
     * @return the stock level, stamped with the current time, or {@code null} if there is no product
     *         with this id
     */
    public @Nullable StockLevel stockOf(long id) {
        stockCalls.incrementAndGet();
        simulateLatency();
        if (!products.containsKey(id)) {
            return null;
        }
        return new StockLevel(id, stock.getOrDefault(id, 0), clock.instant());
    }

    /**
     * Creates or replaces a product, slowly.
     * @param id the product's id
     * @param name its name
     * @param price its price
     * @return the product as stored, stamped with the current time
     */
    public Product save(long id, String name, BigDecimal price) {
        simulateLatency();
        Product product = new Product(id, name, price, clock.instant());
        products.put(id, product);
        return product;
    }

    /**
     * Deletes a product, slowly.
     * @param id the product's id
     * @return whether there was a product with this id
     */
    public boolean deleteById(long id) {
        simulateLatency();
        stock.remove(id);
        return products.remove(id) != null;
    }

    /**
     * How often the reads have run so far.
     * @return the read counts
     */
    public LoaderCalls loaderCalls() {
        return new LoaderCalls(findByIdCalls.get(), findAllByIdCalls.get(), findAllByIdKeys.get(), searchCalls.get(),
                stockCalls.get(), featuredCalls.get());
    }

    private void seed(long id, String name, String price, int available) {
        products.put(id, new Product(id, name, new BigDecimal(price), clock.instant()));
        stock.put(id, available);
    }

    private void simulateLatency() {
        if (delay.isZero() || delay.isNegative()) {
            return;
        }
        try {
            Thread.sleep(delay.toMillis());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while reading the products", ex);
        }
    }
}
