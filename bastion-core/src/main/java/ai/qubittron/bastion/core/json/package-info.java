/**
 * Streaming JSON over Netty buffers: {@link ai.qubittron.bastion.core.json.ByteBufJsonReader} is the
 * base of the request and response inspectors.
 */
package ai.qubittron.bastion.core.json;
