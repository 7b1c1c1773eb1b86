/**
 * The model catalog: {@link ai.qubittron.bastion.core.catalog.ModelCatalog} (start with
 * {@code defaults()}), its {@link ai.qubittron.bastion.core.catalog.ModelInfo} entries and the
 * {@link ai.qubittron.bastion.core.catalog.Endpoint}s a model may support.
 */
package ai.qubittron.bastion.core.catalog;
