package io.github.multitiercache.sample;

import java.time.Instant;
import java.util.Objects;

/**
 * How many units of a product are in stock, as the repository counted them.
 *
 * @param productId the product's identifier
 * @param available the units available
 * @param checkedAt when the repository counted them: a cached level shows its age here
 */
public record StockLevel(long productId, int available, Instant checkedAt) {

    /**
     * Checks that no component is missing.
     * @throws NullPointerException when {@code checkedAt} is missing
     */
    public StockLevel {
        Objects.requireNonNull(checkedAt, "checkedAt");
    }
}
