/**
 * The rate-limit SPI: {@link ai.qubittron.bastion.spi.limit.RateLimiter}, the
 * {@link ai.qubittron.bastion.spi.limit.RateLimitRequest} the gateway asks it about, the tier's
 * {@link ai.qubittron.bastion.spi.limit.RateLimits} and the
 * {@link ai.qubittron.bastion.spi.limit.RateLimitDecision} value object.
 */
package ai.qubittron.bastion.spi.limit;
