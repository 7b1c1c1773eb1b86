/**
 * Metering of relayed responses: reading usage and token events from the upstream's JSON, timing the
 * relay and adding {@code x_metrics}, all without re-encoding. Start with
 * {@link ai.qubittron.bastion.core.metering.ResponseInspector} (usage, token events, finish and error of
 * one document) and {@link ai.qubittron.bastion.core.metering.RelayMeter} (the clock and counts of one
 * request, and its {@code x_metrics} member); {@link ai.qubittron.bastion.core.metering.JsonSplice} adds
 * that member to the final object. Every class here is used by one event loop at a time.
 */
package ai.qubittron.bastion.core.metering;
