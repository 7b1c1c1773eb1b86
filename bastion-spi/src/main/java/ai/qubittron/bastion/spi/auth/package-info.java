/**
 * The authentication SPI. Start with {@link ai.qubittron.bastion.spi.auth.ApiKeyStore}: it resolves a
 * presented key to an {@link ai.qubittron.bastion.spi.auth.ApiPrincipal} (key id, account, tier, allowed
 * models). Keys are kept only as their {@link ai.qubittron.bastion.spi.auth.ApiKeyHash}, which also makes
 * new keys.
 */
package ai.qubittron.bastion.spi.auth;
