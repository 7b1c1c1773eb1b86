/**
 * Choosing the upstream worker of each request, without I/O. Start at {@link
 * ai.qubittron.bastion.core.scheduler.Scheduler} (pick, add, drain, remove), whose picks return a {@link
 * ai.qubittron.bastion.core.scheduler.Lease} to report first token, tokens and outcome on; {@link
 * ai.qubittron.bastion.core.scheduler.WorkerState} documents the cost formula, ramp-up and circuit, and
 * {@link ai.qubittron.bastion.core.scheduler.SchedulerConfig} the defaults.
 */
package ai.qubittron.bastion.core.scheduler;
