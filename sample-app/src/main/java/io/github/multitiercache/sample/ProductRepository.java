package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Where the products are stored, deliberately slow: every call waits {@code sample.repository.delay}
 * (200 ms by default) on top of its own work, and the reads are counted, so the demo can show which
 * requests the caches answered. Seeded with five products, ids 1 to 5, and their stock levels.
 *
 * <p>In memory ({@link InMemoryProductRepository}) by default; in PostgreSQL's table
 * {@code public.products} ({@link JdbcProductRepository}) with the profile {@code postgres}.
 */
public interface ProductRepository {

    /**
     * Reads one product.
     * @param id the product's id
     * @return the product, or {@code null} if there is none with this id
     */
    @Nullable Product findById(long id);

    /**
     * Reads many products in one query, as slowly as one.
     * @param ids the products' ids
     * @return the products found, by id, in the order of {@code ids}; an id without a product is absent
     */
    Map<Long, Product> findAllById(Collection<Long> ids);

    /**
     * Finds the products whose name starts with a prefix, ignoring case.
     * @param prefix the prefix; empty matches every product
     * @return the matching products, by id
     */
    List<Product> findByNamePrefix(String prefix);

    /**
     * Picks the products featured on the home page: those in stock, three at most, by id.
     * @return the featured products
     */
    List<Product> findFeatured();

    /**
     * Counts the units of a product in stock.
     * @param id the product's id
     * @return the stock level, stamped with the current time, or {@code null} if there is no product
     *         with this id
     */
    @Nullable StockLevel stockOf(long id);

    /**
     * Creates or replaces a product; a new product has no stock, a replaced one keeps its stock.
     * @param id the product's id
     * @param name its name
     * @param price its price
     * @return the product as stored, stamped with the current time
     */
    Product save(long id, String name, BigDecimal price);

    /**
     * Deletes a product and its stock.
     * @param id the product's id
     * @return whether there was a product with this id
     */
    boolean deleteById(long id);

    /**
     * How often the reads have run so far.
     * @return the read counts
     */
    LoaderCalls loaderCalls();
}
