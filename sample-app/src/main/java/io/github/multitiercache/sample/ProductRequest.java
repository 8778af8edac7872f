package io.github.multitiercache.sample;

import java.math.BigDecimal;

import org.jspecify.annotations.Nullable;

/**
 * The body of {@code PUT /products/{id}}; {@link ProductController} rejects a missing or blank
 * name and a missing or negative price.
 *
 * @param name the new name
 * @param price the new price
 */
public record ProductRequest(@Nullable String name, @Nullable BigDecimal price) {
}
