/**
 * The benchmarks, in packages that mirror production's; {@link ai.qubittron.bastion.bench.BenchMain} is the
 * entry point of {@code ./bastion bench}.
 */
package ai.qubittron.bastion.bench;
