/**
 * The error catalogue: {@link ai.qubittron.bastion.core.error.ErrorKind} maps each failure to status,
 * type and code; {@link ai.qubittron.bastion.core.error.ErrorBodies} builds the JSON;
 * {@link ai.qubittron.bastion.core.error.GatewayException} carries a failure to the point that answers.
 */
package ai.qubittron.bastion.core.error;
