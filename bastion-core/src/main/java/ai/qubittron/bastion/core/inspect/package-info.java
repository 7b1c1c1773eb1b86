/**
 * Request inspection: {@link ai.qubittron.bastion.core.inspect.RequestInspector} reads and validates a
 * model request body into an {@link ai.qubittron.bastion.core.inspect.InspectedRequest} with the
 * allocation-free {@link ai.qubittron.bastion.core.json.JsonScanner}, straight from the received buffers;
 * {@link ai.qubittron.bastion.core.inspect.RequestRewriter} splices the few changes the upstream needs.
 */
package ai.qubittron.bastion.core.inspect;
