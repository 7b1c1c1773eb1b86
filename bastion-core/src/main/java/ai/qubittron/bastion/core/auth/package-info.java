/**
 * Authentication in memory: {@link ai.qubittron.bastion.core.auth.InMemoryApiKeyStore}, the
 * {@link ai.qubittron.bastion.spi.auth.ApiKeyStore} of a single gateway node and the gateway's default.
 */
package ai.qubittron.bastion.core.auth;
