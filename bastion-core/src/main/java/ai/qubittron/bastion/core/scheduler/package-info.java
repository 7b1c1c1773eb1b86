/**
 * Choosing the upstream worker of each request, without I/O and without locks. Start at
 * {@link ai.qubittron.bastion.core.scheduler.Scheduler} (pick, add, drain, remove), whose picks return a
 * {@link ai.qubittron.bastion.core.scheduler.Lease} to report first token, tokens and outcome on;
 * {@link ai.qubittron.bastion.core.scheduler.WorkerState} documents the cost formula, ramp-up, circuit
 * ({@link ai.qubittron.bastion.core.scheduler.CircuitState}) and saturation, and
 * {@link ai.qubittron.bastion.core.scheduler.SchedulerConfig} the defaults.
 * {@link ai.qubittron.bastion.core.scheduler.VllmLoad} reads a worker's vLLM {@code /metrics} into the
 * overload flag. Every class is safe from any thread; picks are meant for event loops.
 */
package ai.qubittron.bastion.core.scheduler;
