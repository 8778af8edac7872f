/**
 * Real Redis processes and a fault-injecting TCP proxy for tests.
 *
 * <p>Everything here listens on {@code 127.0.0.1} only, on ports chosen at run time (never
 * {@code 6379}), so tests never depend on a Redis someone started by hand:
 * <ul>
 *   <li>{@link io.github.multitiercache.testsupport.RedisBinary} finds a {@code redis-server}
 *       executable (configured, on the {@code PATH}, or the one shipped in the embedded-redis jar);</li>
 *   <li>{@link io.github.multitiercache.testsupport.RedisServer} runs one server process that a test can
 *       stop, kill, restart, pause and resume;</li>
 *   <li>{@link io.github.multitiercache.testsupport.RedisCluster} forms a Redis Cluster of masters;</li>
 *   <li>{@link io.github.multitiercache.testsupport.FaultProxy} sits between a client and a server and
 *       can black-hole or cut the connections.</li>
 * </ul>
 */
@NullMarked
package io.github.multitiercache.testsupport;

import org.jspecify.annotations.NullMarked;
