/**
 * The error catalogue: every failure a client can see, in one place. Start with
 * {@link ai.qubittron.bastion.core.error.ErrorKind}, which maps each failure to its HTTP status and the
 * OpenAI {@code type} and {@code code}; {@link ai.qubittron.bastion.core.error.ErrorBodies} builds the
 * JSON body, and the stackless {@link ai.qubittron.bastion.core.error.GatewayException} carries a failure
 * from where it is found to the handler that answers.
 */
package ai.qubittron.bastion.core.error;
