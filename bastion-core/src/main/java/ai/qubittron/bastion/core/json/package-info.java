/**
 * JSON read in place from Netty buffers, allocating nothing: {@link ai.qubittron.bastion.core.json.JsonScanner}
 * is the validating tokenizer under the request and response inspectors, and
 * {@link ai.qubittron.bastion.core.json.MemberNames} finds a member name repeated in one object.
 */
package ai.qubittron.bastion.core.json;
