package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * A product of the catalogue, as cached and as served by the REST API.
 *
 * @param id the product's identifier
 * @param name the product's name
 * @param price the product's price
 * @param updatedAt when the product was last written
 */
public record Product(long id, String name, BigDecimal price, Instant updatedAt) {

    /**
     * Checks that no component is missing.
     * @throws NullPointerException naming the missing component
     */
    public Product {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
