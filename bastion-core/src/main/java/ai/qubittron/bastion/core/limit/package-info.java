/**
 * Rate limits in memory: {@link ai.qubittron.bastion.core.limit.InMemoryRateLimiter}, the default
 * {@link ai.qubittron.bastion.spi.limit.RateLimiter} of a single gateway node.
 */
package ai.qubittron.bastion.core.limit;
