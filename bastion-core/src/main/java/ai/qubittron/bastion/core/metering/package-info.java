/**
 * Metering of relayed responses: {@link ai.qubittron.bastion.core.metering.ResponseInspector} reads
 * usage and token events from upstream JSON, {@link ai.qubittron.bastion.core.metering.RelayMeter} keeps
 * the clock and computes {@code x_metrics}, {@link ai.qubittron.bastion.core.metering.JsonSplice} adds it
 * to the final object without re-encoding.
 */
package ai.qubittron.bastion.core.metering;
