/**
 * Bastion's plugin interfaces. Each SPI lives in its own package with its value types:
 * {@link ai.qubittron.bastion.spi.auth.ApiKeyStore}, {@link ai.qubittron.bastion.spi.ledger.Ledger},
 * {@link ai.qubittron.bastion.spi.limit.RateLimiter}. Implementations are discovered by
 * {@link ai.qubittron.bastion.spi.SpiLoader}, highest {@link ai.qubittron.bastion.spi.Prioritized#priority()}
 * first.
 */
package ai.qubittron.bastion.spi;
