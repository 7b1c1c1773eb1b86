/**
 * Per-model token prices: a {@link ai.qubittron.bastion.core.pricing.PriceBook} ({@code defaults()} for
 * the default catalog) of {@link ai.qubittron.bastion.core.pricing.ModelPrice}s, which turn token counts
 * into micro-units for the ledger.
 */
package ai.qubittron.bastion.core.pricing;
