/**
 * Request inspection: {@link ai.qubittron.bastion.core.inspect.RequestInspector} reads and validates a
 * model request body into an {@link ai.qubittron.bastion.core.inspect.InspectedRequest} with Jackson's
 * non-blocking parser, straight from the received buffers.
 */
package ai.qubittron.bastion.core.inspect;
