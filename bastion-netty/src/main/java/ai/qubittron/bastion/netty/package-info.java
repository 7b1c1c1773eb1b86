/**
 * The embeddable gateway: start with {@link ai.qubittron.bastion.netty.Bastion#builder()}. Everything
 * under {@code internal} is implementation detail.
 */
package ai.qubittron.bastion.netty;
