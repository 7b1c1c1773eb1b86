/** Per-model token prices: {@link ai.qubittron.bastion.core.pricing.PriceBook} of {@link ai.qubittron.bastion.core.pricing.ModelPrice}s. */
package ai.qubittron.bastion.core.pricing;
