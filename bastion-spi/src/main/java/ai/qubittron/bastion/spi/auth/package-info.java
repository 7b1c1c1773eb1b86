/**
 * Authentication SPI: {@link ai.qubittron.bastion.spi.auth.ApiKeyStore} resolves a presented key to an
 * {@link ai.qubittron.bastion.spi.auth.ApiPrincipal}; keys are kept only as
 * {@link ai.qubittron.bastion.spi.auth.ApiKeyHash}es.
 */
package ai.qubittron.bastion.spi.auth;
