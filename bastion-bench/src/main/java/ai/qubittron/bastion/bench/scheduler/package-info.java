/**
 * Benchmarks of the scheduler. {@link ai.qubittron.bastion.bench.scheduler.SchedulerBenchmark}: JMH, the cost
 * of one pick. {@link ai.qubittron.bastion.bench.scheduler.SchedulerSimulationBenchmark}: the quality of the
 * picks, a deterministic discrete-event simulation of a heterogeneous cluster ({@code ./bastion bench
 * scheduler}) in which the real {@code Scheduler} ({@code BastionPolicy}) competes with simpler policies and
 * an oracle; {@code Scenario} describes the model, {@code SimulatedWorker} the engine, {@code RunResult}
 * the measurements.
 */
package ai.qubittron.bastion.bench.scheduler;
