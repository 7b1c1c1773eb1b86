/**
 * JSON read in place from Netty buffers, allocating nothing on the hot path. Start with
 * {@link ai.qubittron.bastion.core.json.JsonScanner}, the validating tokenizer under the request and
 * response inspectors; {@link ai.qubittron.bastion.core.json.MemberNames} beside it finds a member name
 * repeated in one object. Neither retains nor releases a buffer; neither is thread-safe.
 */
package ai.qubittron.bastion.core.json;
