/**
 * Request inspection: reading the few fields of a client's body that the gateway acts on, without
 * building a tree, and changing no more than the upstream needs. Start with
 * {@link ai.qubittron.bastion.core.inspect.RequestInspector}: it validates a JSON model request, straight
 * from the received buffers with the allocation-free {@link ai.qubittron.bastion.core.json.JsonScanner},
 * into an {@link ai.qubittron.bastion.core.inspect.InspectedRequest};
 * {@link ai.qubittron.bastion.core.inspect.RequestRewriter} then splices in the upstream's model name,
 * an output limit and the usage option. A transcription upload is {@code multipart/form-data}: its
 * {@code model} field is found by {@link ai.qubittron.bastion.core.inspect.MultipartScanner} as it
 * streams past.
 */
package ai.qubittron.bastion.core.inspect;
