package io.github.multitiercache.sample;

/**
 * How often the {@link ProductRepository} has been asked for data since the service started; the
 * numbers stay still while the caches answer.
 *
 * @param findById calls of {@link ProductRepository#findById(long)}
 * @param findAllById calls of {@link ProductRepository#findAllById(java.util.Collection)}
 * @param findAllByIdKeys the ids those calls asked for, in all
 * @param search calls of {@link ProductRepository#findByNamePrefix(String)}
 * @param stock calls of {@link ProductRepository#stockOf(long)}
 * @param featured calls of {@link ProductRepository#findFeatured()}
 */
public record LoaderCalls(long findById, long findAllById, long findAllByIdKeys, long search, long stock,
        long featured) {
}
