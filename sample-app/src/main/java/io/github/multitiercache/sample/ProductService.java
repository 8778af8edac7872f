package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import io.github.multitiercache.annotation.CacheEvictTags;
import io.github.multitiercache.annotation.CacheableAll;
import io.github.multitiercache.annotation.MultiTierCacheable;
import io.github.multitiercache.annotation.MultiTierCacheable.Toggle;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.Caching;
import org.springframework.stereotype.Service;

/**
 * The catalogue's use cases, cached.
 *
 * <ul>
 *   <li>{@code products}: one product by id, configured in {@code application.yml}, read one at a
 *       time ({@link #findById(long)}) or many at once ({@link #findAllById(Collection)}). Unknown ids
 *       are cached too (as {@code null}, with the shorter {@code null-ttl}), so that repeated
 *       requests for a missing product do not reach the repository either.</li>
 *   <li>{@code product-search}: search results by name prefix, tagged by their category (the
 *       prefix's first letter) and by each product they show; a save evicts only the searches that
 *       showed the product or may now show it ({@link CacheEvictTags}, see {@code docs/tags.md}).
 *       Its TTLs come from
 *       {@link MultiTierCacheable} on {@link #search(String)}; a delete clears it.</li>
 *   <li>{@code product-stock}: stock levels by product id, configured in {@code application.yml}
 *       with short TTLs and refresh-ahead: a level is counted again in the background before it
 *       expires, so once it is cached no request waits for the repository.</li>
 *   <li>{@code product-featured}: the products featured on a page, by page name. Every visitor of
 *       the home page reads the same key: a hot key. The cache keeps no L1 (set on
 *       {@link #featured(String)}), yet once the key turns hot it is kept in L1 for
 *       {@code hot-keys.l1-ttl} (see {@code application.yml}); writes still drop it on every
 *       instance.</li>
 * </ul>
 */
@Service
public class ProductService {

    /** The cache of products by id. */
    public static final String PRODUCTS = "products";

    /** The cache of search results by name prefix. */
    public static final String PRODUCT_SEARCH = "product-search";

    /** The cache of stock levels by product id, refreshed ahead of expiry. */
    public static final String PRODUCT_STOCK = "product-stock";

    /** The cache of featured products by page: one key read by everyone, a hot key. */
    public static final String PRODUCT_FEATURED = "product-featured";

    private final ProductRepository repository;

    /**
     * Creates the service.
     * @param repository where products are stored
     */
    public ProductService(ProductRepository repository) {
        this.repository = repository;
    }

    /**
     * Reads a product: from L1, else from Redis, else from the repository.
     * @param id the product's id
     * @return the product, or {@code null} if there is none with this id (and that is cached too)
     */
    @MultiTierCacheable(cacheNames = PRODUCTS, tags = "'product:' + #id")
    public @Nullable Product findById(long id) {
        return repository.findById(id);
    }

    /**
     * Reads many products: each from L1, else all those L1 lacks from Redis at once, else those still
     * missing from the repository in one query. Each product is the entry {@link #findById(long)}
     * reads and writes, and an unknown id is cached as {@code null} as there.
     * @param ids the products' ids
     * @return the products found, in the order of {@code ids}
     */
    @CacheableAll(PRODUCTS)
    public Map<Long, Product> findAllById(Collection<Long> ids) {
        return repository.findAllById(ids);
    }

    /**
     * Finds the products whose name starts with a prefix, ignoring case.
     * @param prefix the prefix; empty matches every product
     * @return the matching products, by id
     */
    @MultiTierCacheable(cacheNames = PRODUCT_SEARCH, l1Ttl = "10s", l2Ttl = "1m",
            tags = { "'category:' + T(io.github.multitiercache.sample.ProductService).category(#prefix)",
                    "#result.!['product:' + #this.id()]" })
    public List<Product> search(String prefix) {
        return repository.findByNamePrefix(prefix);
    }

    /**
     * Reads a product's stock level. The {@code product-stock} cache renews a level in the background
     * once half of its time in Redis has passed (see {@code application.yml}), so callers keep
     * getting a level at most a few seconds old without waiting for the repository.
     * @param id the product's id
     * @return the stock level, or {@code null} if there is no product with this id
     */
    @Cacheable(PRODUCT_STOCK)
    public @Nullable StockLevel stockOf(long id) {
        return repository.stockOf(id);
    }

    /**
     * Reads the products featured on a page. Without L1 (as declared here), every read would go to
     * Redis, all of them to the one shard holding the key; hot-key pinning keeps the key in L1 once
     * it is read often enough, and on a Redis Cluster its reads would spread over replicas on every
     * shard.
     * @param page the page, for example {@code home}
     * @return the featured products
     */
    @MultiTierCacheable(cacheNames = PRODUCT_FEATURED, l1Enabled = Toggle.FALSE, l2Ttl = "5m")
    public List<Product> featured(String page) {
        return repository.findFeatured();
    }

    /**
     * Creates or replaces a product and caches the result, so the next read needs no load; every
     * other instance drops its L1 copy.
     * @param id the product's id
     * @param name its name
     * @param price its price
     * @return the product as stored
     */
    @CachePut(cacheNames = PRODUCTS, key = "#result.id")
    @CacheEvict(cacheNames = PRODUCT_FEATURED, allEntries = true)
    @CacheEvictTags({ "'product:' + #id", "'category:' + T(io.github.multitiercache.sample.ProductService).category(#name)",
            "'category:' + T(io.github.multitiercache.sample.ProductService).category('')" })
    public Product save(long id, String name, BigDecimal price) {
        return repository.save(id, name, price);
    }

    /**
     * The category of a search prefix or a product name, by which searches are tagged: its first
     * letter, lower case ({@code *} for the empty prefix, which matches every product). A product
     * saved under a name evicts the searches of its category and of every product (a search that
     * may now include it), and every search that showed it (tag {@code product:<id>}), and no other.
     * @param text a prefix or a name
     * @return its category
     */
    public static String category(String text) {
        return text.isEmpty() ? "*" : text.substring(0, 1).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Deletes a product and evicts it, and its stock level, from both tiers on every instance.
     * @param id the product's id
     * @return whether there was a product with this id
     */
    @Caching(evict = {
            @CacheEvict(PRODUCTS),
            @CacheEvict(PRODUCT_STOCK),
            @CacheEvict(cacheNames = PRODUCT_SEARCH, allEntries = true),
            @CacheEvict(cacheNames = PRODUCT_FEATURED, allEntries = true) })
    public boolean delete(long id) {
        return repository.deleteById(id);
    }

    /**
     * How often the repository has been read so far.
     * @return the read counts
     */
    public LoaderCalls loaderCalls() {
        return repository.loaderCalls();
    }
}
