/**
 * Implementation of the simulated worker; not public API.
 *
 * <p>Starting points: {@link ai.qubittron.bastion.sim.internal.SimPipeline} (the connection pipeline),
 * {@link ai.qubittron.bastion.sim.internal.SimHttpHandler} (routing),
 * {@link ai.qubittron.bastion.sim.internal.SimEngine} (running batch, waiting queue, counters),
 * {@link ai.qubittron.bastion.sim.internal.Sequence} (one request's timers and writes),
 * {@link ai.qubittron.bastion.sim.internal.RequestParser} (streaming request parsing) and the
 * per-endpoint encoders ({@code ChatEncoder}, {@code CompletionsEncoder}, {@code ResponsesEncoder}).
 */
package ai.qubittron.bastion.sim.internal;
