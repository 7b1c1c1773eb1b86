/**
 * Prepaid credit in memory: {@link ai.qubittron.bastion.core.ledger.InMemoryLedger}, the default
 * {@link ai.qubittron.bastion.spi.ledger.Ledger} of a single gateway node.
 */
package ai.qubittron.bastion.core.ledger;
