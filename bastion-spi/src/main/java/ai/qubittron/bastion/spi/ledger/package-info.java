/**
 * The prepaid-credit SPI: {@link ai.qubittron.bastion.spi.ledger.Ledger} and its value types.
 */
package ai.qubittron.bastion.spi.ledger;
