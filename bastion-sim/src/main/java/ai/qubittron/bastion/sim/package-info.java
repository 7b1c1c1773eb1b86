/**
 * A simulated GPU worker: an OpenAI-compatible HTTP server with vLLM-like timing, {@code /metrics},
 * runtime reconfiguration and fault injection, the upstream of the gateway's tests, demo and
 * benchmarks.
 *
 * <p>Starting points: {@link ai.qubittron.bastion.sim.SimulatedWorker} (the server and its builder),
 * {@link ai.qubittron.bastion.sim.SimConfig} (timing), {@link ai.qubittron.bastion.sim.SimFaults}
 * (fault injection), {@link ai.qubittron.bastion.sim.SimText} (exactly what is generated, for tests),
 * {@link ai.qubittron.bastion.sim.SimStats} (counters) and
 * {@link ai.qubittron.bastion.sim.SimulatedWorkerMain} (command line).
 */
package ai.qubittron.bastion.sim;
