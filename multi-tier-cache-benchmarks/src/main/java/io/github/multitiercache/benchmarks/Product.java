package io.github.multitiercache.benchmarks;

import java.io.Serializable;

/**
 * The small cached value: a record of three fields.
 *
 * @param id the product id
 * @param name its display name
 * @param priceCents its price
 */
public record Product(long id, String name, long priceCents) implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * The product a loader would return for an id.
     * @param id the id
     * @return the product
     */
    public static Product of(long id) {
        return new Product(id, "Product " + id, 100 + id % 10_000);
    }
}
