/**
 * Admission of a request: the {@link ai.qubittron.bastion.core.admission.TierTable} of rate limits and
 * the {@link ai.qubittron.bastion.core.admission.Billing} of one admitted request.
 */
package ai.qubittron.bastion.core.admission;
