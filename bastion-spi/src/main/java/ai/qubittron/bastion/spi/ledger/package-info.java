/**
 * The prepaid-credit SPI. Start with {@link ai.qubittron.bastion.spi.ledger.Ledger}: reserve a request's
 * worst case, then settle its actual cost or release it. Its answers are the value types
 * {@link ai.qubittron.bastion.spi.ledger.Reservation}, {@link ai.qubittron.bastion.spi.ledger.Settlement}
 * and {@link ai.qubittron.bastion.spi.ledger.AccountBalance}; every amount is a {@code long} of
 * micro-units.
 */
package ai.qubittron.bastion.spi.ledger;
