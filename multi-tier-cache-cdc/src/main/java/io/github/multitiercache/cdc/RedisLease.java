package io.github.multitiercache.cdc;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The fleet-wide consumer lease: one Redis key holding the holder's random token, taken with
 * {@code SET NX PX}, renewed and released by the holder only (token checked in Lua). A renewal that
 * finds the key gone (Redis restarted empty, or the key evicted) puts it back with the holder's token
 * if nobody took it meanwhile.
 */
final class RedisLease {

    /** Renew: 1 if the lease is (again) ours, 0 if another holder has it. */
    private static final RedisScript<Long> RENEW = RedisScript.of("""
            local holder = redis.call('GET', KEYS[1])
            if holder == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            if not holder then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 1
            end
            return 0
            """, Long.class);

    private static final RedisScript<Long> RELEASE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """, Long.class);

    private final StringRedisTemplate redis;

    private final String key;

    private final String token = UUID.randomUUID().toString();

    private final Duration ttl;

    RedisLease(StringRedisTemplate redis, String key, Duration ttl) {
        this.redis = redis;
        this.key = key;
        this.ttl = ttl;
    }

    String key() {
        return key;
    }

    String token() {
        return token;
    }

    Duration ttl() {
        return ttl;
    }

    /** @return whether this instance took the free lease; throws when Redis cannot be reached */
    boolean tryAcquire() {
        return Boolean.TRUE.equals(redis.opsForValue().setIfAbsent(key, token, ttl));
    }

    /** @return whether the lease is still (or again) ours; throws when Redis cannot be reached */
    boolean renew() {
        Long result = redis.execute(RENEW, List.of(key), token, Long.toString(ttl.toMillis()));
        return result != null && result == 1L;
    }

    /** Deletes the key if it holds our token. */
    void release() {
        redis.execute(RELEASE, List.of(key), token);
    }

    /** @return the current holder's token, or null */
    @Nullable String holder() {
        return redis.opsForValue().get(key);
    }
}
