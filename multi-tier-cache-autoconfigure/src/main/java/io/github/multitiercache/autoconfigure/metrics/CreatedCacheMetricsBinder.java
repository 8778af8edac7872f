package io.github.multitiercache.autoconfigure.metrics;

import java.util.Map;
import java.util.Objects;

import io.github.multitiercache.spring.MultiTierCacheManager;
import io.micrometer.core.instrument.Tag;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.cache.metrics.CacheMetricsRegistrar;
import org.springframework.util.StringUtils;

/**
 * Binds the meters of the multi-tier caches that Spring Boot's registrar did not see at startup:
 * those created after it ran (caches declared by annotations, caches created on first use). Each
 * goes through the {@link CacheMetricsRegistrar}, tagged with its manager's name as Boot tags the
 * caches it finds itself; {@link MultiTierCacheMeterBinderProvider} makes sure no cache is bound
 * twice.
 */
public final class CreatedCacheMetricsBinder implements SmartInitializingSingleton {

    private static final String CACHE_MANAGER_SUFFIX = "cacheManager";

    private final ListableBeanFactory beanFactory;

    private final ObjectProvider<CacheMetricsRegistrar> registrar;

    /**
     * Creates the binder.
     * @param beanFactory where the cache managers are found
     * @param registrar Boot's registrar; nothing is bound when there is none
     */
    public CreatedCacheMetricsBinder(ListableBeanFactory beanFactory, ObjectProvider<CacheMetricsRegistrar> registrar) {
        this.beanFactory = Objects.requireNonNull(beanFactory, "beanFactory");
        this.registrar = Objects.requireNonNull(registrar, "registrar");
    }

    /** Runs once every singleton, and so Boot's registrar and its startup binding, exists. */
    @Override
    public void afterSingletonsInstantiated() {
        CacheMetricsRegistrar registrar = this.registrar.getIfAvailable();
        if (registrar == null) {
            return;
        }
        Map<String, MultiTierCacheManager> managers = beanFactory.getBeansOfType(MultiTierCacheManager.class);
        managers.forEach((beanName, manager) -> {
            Tag managerTag = Tag.of("cache.manager", managerName(beanName));
            manager.addCacheCreationListener(cache -> registrar.bindCacheToRegistry(cache, managerTag));
            // Created between Boot's binding and now; those Boot already bound are skipped.
            manager.getCaches().forEach(cache -> registrar.bindCacheToRegistry(cache, managerTag));
        });
    }

    /** The manager's tag as Boot derives it: the bean name without a trailing "cacheManager". */
    private static String managerName(String beanName) {
        if (beanName.length() > CACHE_MANAGER_SUFFIX.length()
                && StringUtils.endsWithIgnoreCase(beanName, CACHE_MANAGER_SUFFIX)) {
            return beanName.substring(0, beanName.length() - CACHE_MANAGER_SUFFIX.length());
        }
        return beanName;
    }
}
