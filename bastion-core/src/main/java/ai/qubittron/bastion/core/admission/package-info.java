/**
 * Admission of a request: what it may use and what it costs. Start with
 * {@link ai.qubittron.bastion.core.admission.TierTable} (the rate limits of each tier) and
 * {@link ai.qubittron.bastion.core.admission.Billing} (the one settlement of an admitted request's
 * reservation); {@link ai.qubittron.bastion.core.admission.AudioMetering} turns audio into tokens.
 */
package ai.qubittron.bastion.core.admission;
