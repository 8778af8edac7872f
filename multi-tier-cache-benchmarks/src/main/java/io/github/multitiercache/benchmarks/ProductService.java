package io.github.multitiercache.benchmarks;

import java.util.concurrent.atomic.LongAdder;

import org.springframework.cache.annotation.Cacheable;

/** The annotated bean of the {@code @Cacheable} benchmarks; counts its loader calls. */
public class ProductService {

    private final LongAdder loads = new LongAdder();

    /**
     * Loads a product, cached in {@code products} under the id.
     * @param id the id
     * @return the product
     */
    @Cacheable("products")
    public Product find(Long id) {
        loads.increment();
        return Product.of(id);
    }

    /** @return how often {@link #find(Long)} actually ran */
    public long loads() {
        return loads.sum();
    }
}
