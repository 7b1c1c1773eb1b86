/**
 * Prepaid credit in memory: {@link ai.qubittron.bastion.core.ledger.InMemoryLedger}, the
 * {@link ai.qubittron.bastion.spi.ledger.Ledger} of a single gateway node. The gateway has no ledger
 * (and meters nothing against credit) unless one is given or discovered; the demo gives it this one.
 */
package ai.qubittron.bastion.core.ledger;
