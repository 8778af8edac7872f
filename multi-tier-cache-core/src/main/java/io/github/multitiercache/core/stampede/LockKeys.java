package io.github.multitiercache.core.stampede;

import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

/**
 * Derives the Redis key of a value's lock so that both live in the same cluster hash slot, which
 * lets one Lua script check the lock and write the value atomically.
 *
 * <ul>
 *   <li>A value key without a hash tag hashes as a whole, so its lock is
 *       {@code "{" + valueKey + "}:lock"}: the braces make the whole value key the lock's tag.
 *       Example: {@code mtc:users:42} → <code>{mtc:users:42}:lock</code>.
 *   <li>A value key with a hash tag (a non-empty {@code {...}}, the first {@code {} and the first
 *       {@code }} after it) hashes by that tag, so its lock is {@code valueKey + ":lock"}, which
 *       keeps the same first tag. Example: <code>mtc:users:{eu}:42</code> →
 *       <code>mtc:users:{eu}:42:lock</code>.
 *   <li>A key that has no tag but contains a {@code }} (for example <code>a{}b</code> or
 *       <code>a}b</code>) cannot be given a lock in its slot: {@link #lockKey(byte[], boolean)}
 *       returns {@code null} on a cluster, and such keys are loaded without the distributed lock
 *       (the in-JVM single flight still applies). On a standalone Redis every key has a lock.
 * </ul>
 */
public final class LockKeys {

    private static final byte[] SUFFIX = ":lock".getBytes(StandardCharsets.UTF_8);

    private LockKeys() {
    }

    /**
     * The lock key of a value key.
     * @param valueKey the value's Redis key
     * @param cluster whether the lock must share the value's cluster slot
     * @return the lock key, or {@code null} when the value key cannot have one in its slot
     */
    public static byte @Nullable [] lockKey(byte[] valueKey, boolean cluster) {
        if (hasHashTag(valueKey)) {
            return concat(new byte[0], valueKey, SUFFIX);
        }
        if (indexOf(valueKey, (byte) '}', 0) >= 0) {
            return cluster ? null : concat(new byte[0], valueKey, SUFFIX);
        }
        return concat(new byte[] { '{' }, valueKey, concat(new byte[] { '}' }, SUFFIX, new byte[0]));
    }

    /**
     * Whether a key carries a Redis Cluster hash tag.
     * @param key the key
     * @return {@code true} when a non-empty {@code {...}} decides its slot
     */
    static boolean hasHashTag(byte[] key) {
        int open = indexOf(key, (byte) '{', 0);
        if (open < 0) {
            return false;
        }
        int close = indexOf(key, (byte) '}', open + 1);
        return close > open + 1;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b, byte[] c) {
        byte[] all = new byte[a.length + b.length + c.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        System.arraycopy(c, 0, all, a.length + b.length, c.length);
        return all;
    }
}
