/**
 * Shared state for several gateway nodes on Redis: {@link ai.qubittron.bastion.redis.RedisRateLimiter}
 * (start with {@code RedisRateLimiter.connect("redis://127.0.0.1:6379")}).
 */
package ai.qubittron.bastion.redis;
