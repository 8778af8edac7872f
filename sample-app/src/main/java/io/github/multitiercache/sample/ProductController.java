package io.github.multitiercache.sample;

import java.math.BigDecimal;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * The catalogue's REST API under {@code /products}.
 *
 * <pre>
 * GET    /products/{id}        the product, or 404
 * GET    /products/{id}/stock  its stock level, refreshed ahead of expiry, or 404
 * GET    /products/featured?page=home  the products featured on a page (a hot key)
 * GET    /products?prefix=cof  products whose name starts with the prefix (all without one)
 * PUT    /products/{id}        creates or replaces a product: {"name": "...", "price": 12.50}
 * DELETE /products/{id}        204, or 404 if there was no such product
 * GET    /products/stats       how often the repository has been read: {"findById": 3, "search": 1, "stock": 2, "featured": 1}
 * </pre>
 */
@RestController
@RequestMapping("/products")
public class ProductController {

    private final ProductService service;

    /**
     * Creates the controller.
     * @param service the catalogue
     */
    public ProductController(ProductService service) {
        this.service = service;
    }

    /**
     * Reads one product.
     * @param id the product's id
     * @return 200 with the product, or 404
     */
    @GetMapping("/{id}")
    public ResponseEntity<Product> get(@PathVariable long id) {
        Product product = service.findById(id);
        return (product != null) ? ResponseEntity.ok(product) : ResponseEntity.notFound().build();
    }

    /**
     * Reads many products at once: {@code GET /products?ids=1,2,3}.
     * @param ids the products' ids
     * @return the products found, in the order of {@code ids}; unknown ids are left out
     */
    @GetMapping(params = "ids")
    public List<Product> getAll(@RequestParam List<Long> ids) {
        return List.copyOf(service.findAllById(ids).values());
    }

    /**
     * Reads the products featured on a page.
     * @param page the page
     * @return the featured products
     */
    @GetMapping("/featured")
    public List<Product> featured(@RequestParam(defaultValue = "home") String page) {
        return service.featured(page);
    }

    /**
     * Reads one product's stock level.
     * @param id the product's id
     * @return 200 with the stock level, or 404
     */
    @GetMapping("/{id}/stock")
    public ResponseEntity<StockLevel> stock(@PathVariable long id) {
        StockLevel stock = service.stockOf(id);
        return (stock != null) ? ResponseEntity.ok(stock) : ResponseEntity.notFound().build();
    }

    /**
     * Searches by name prefix, ignoring case.
     * @param prefix the prefix; all products without one
     * @return the matching products, by id
     */
    @GetMapping
    public List<Product> search(@RequestParam(defaultValue = "") String prefix) {
        return service.search(prefix);
    }

    /**
     * Creates or replaces a product.
     * @param id the product's id
     * @param request its new name and price
     * @return the product as stored
     * @throws ResponseStatusException 400 if the name is blank or the price missing or negative
     */
    @PutMapping("/{id}")
    public Product put(@PathVariable long id, @RequestBody ProductRequest request) {
        String name = request.name();
        BigDecimal price = request.price();
        if (name == null || name.isBlank()) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "name must not be blank");
        }
        if (price == null || price.signum() < 0) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "price must be zero or more");
        }
        return service.save(id, name.strip(), price);
    }

    /**
     * Deletes a product.
     * @param id the product's id
     * @return 204, or 404 if there was no such product
     */
    @DeleteMapping("/{id}")
    public ResponseEntity<Void> delete(@PathVariable long id) {
        return service.delete(id) ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }

    /**
     * Tells how often the repository has been read, to see the caches at work.
     * @return the read counts
     */
    @GetMapping("/stats")
    public LoaderCalls stats() {
        return service.loaderCalls();
    }
}
