/**
 * The rate-limit SPI: {@link ai.qubittron.bastion.spi.limit.RateLimiter}, the tier's
 * {@link ai.qubittron.bastion.spi.limit.RateLimits} and the
 * {@link ai.qubittron.bastion.spi.limit.RateLimitDecision} value object.
 */
package ai.qubittron.bastion.spi.limit;
