/** In-memory authentication: {@link ai.qubittron.bastion.core.auth.InMemoryApiKeyStore}. */
package ai.qubittron.bastion.core.auth;
