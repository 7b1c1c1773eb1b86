/**
 * The model catalog: which models the gateway serves, under which names, on which endpoints. Start with
 * {@link ai.qubittron.bastion.core.catalog.ModelCatalog} ({@code defaults()} is the product documents'
 * catalog, {@code of(…)} makes another), whose entries are
 * {@link ai.qubittron.bastion.core.catalog.ModelInfo}s, each listing the
 * {@link ai.qubittron.bastion.core.catalog.Endpoint}s it may be called on. Immutable values.
 */
package ai.qubittron.bastion.core.catalog;
