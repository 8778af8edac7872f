package io.github.multitiercache.benchmarks;

import java.io.Serializable;

/**
 * One line of an {@link Order}.
 *
 * @param sku the article number
 * @param description free text
 * @param quantity how many
 * @param priceCents the unit price
 */
public record OrderLine(String sku, String description, int quantity, long priceCents) implements Serializable {

    private static final long serialVersionUID = 1L;
}
