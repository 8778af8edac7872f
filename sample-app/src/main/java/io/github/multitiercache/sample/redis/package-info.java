/**
 * A development convenience: when no Redis answers at the configured address, the sample starts a
 * throw-away {@code redis-server} for the lifetime of the application, so that it runs on a machine
 * with nothing installed. Production services point {@code spring.data.redis.*} at their Redis and
 * need none of this.
 */
@NullMarked
package io.github.multitiercache.sample.redis;

import org.jspecify.annotations.NullMarked;
