/**
 * Shared state for several gateway nodes on Redis (Lettuce). Start with
 * {@link ai.qubittron.bastion.redis.RedisRateLimiter} ({@code RedisRateLimiter.connect("redis://127.0.0.1:6379")}),
 * a {@link ai.qubittron.bastion.spi.limit.RateLimiter} whose limits hold across every node, and
 * {@link ai.qubittron.bastion.redis.CachingApiKeyStore}, a cache in front of a shared key store that
 * forgets a revoked key on every node at once. Both pass the SPI contract tests; the caller closes them
 * after the gateway.
 */
package ai.qubittron.bastion.redis;
