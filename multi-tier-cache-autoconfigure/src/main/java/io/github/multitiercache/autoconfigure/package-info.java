/**
 * Spring Boot auto-configuration of multi-tier-cache: properties under {@code multi-tier-cache},
 * the cache manager, and the seams for metrics, endpoints and health.
 */
@NullMarked
package io.github.multitiercache.autoconfigure;

import org.jspecify.annotations.NullMarked;
