package io.github.multitiercache.benchmarks;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The medium and large cached values: an order with a list of lines (about 100 bytes of JSON
 * each, so 20 lines make about 2 KB and 1,000 lines about 100 KB).
 *
 * @param id the order id
 * @param customer the customer's name
 * @param status the order status
 * @param lines the order lines
 */
public record Order(long id, String customer, String status, List<OrderLine> lines) implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final String[] ADJECTIVES = { "Stainless", "Galvanised", "Anodised", "Brushed", "Polished",
            "Matte", "Recycled", "Heavy-duty", "Compact", "Insulated" };

    private static final String[] NOUNS = { "hinge", "bracket", "widget", "fastener", "coupling", "flange",
            "gasket", "sprocket", "spindle", "washer" };

    private static final String[] COLOURS = { "black", "white", "red", "blue", "green", "grey", "orange" };

    /**
     * An order with the given number of pseudo-random but reproducible lines.
     * @param id the order id, also the seed
     * @param lineCount the number of lines
     * @return the order
     */
    public static Order withLines(long id, int lineCount) {
        SplittableRandom random = new SplittableRandom(id);
        List<OrderLine> lines = new ArrayList<>(lineCount);
        for (int i = 0; i < lineCount; i++) {
            String description = ADJECTIVES[random.nextInt(ADJECTIVES.length)] + " "
                    + NOUNS[random.nextInt(NOUNS.length)] + ", size " + (1 + random.nextInt(40)) + ", "
                    + COLOURS[random.nextInt(COLOURS.length)];
            lines.add(new OrderLine(String.format("SKU-%08d", random.nextInt(100_000_000)), description,
                    1 + random.nextInt(20), 99 + random.nextInt(100_000)));
        }
        return new Order(id, "Customer " + id, "CONFIRMED", List.copyOf(lines));
    }
}
