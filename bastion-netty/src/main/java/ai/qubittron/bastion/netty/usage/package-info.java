/**
 * What a gateway node saw of its traffic, kept in memory on that node for the admin API and the
 * dashboard: {@link ai.qubittron.bastion.netty.usage.KeyUsage} (settled, per key, model and minute, for
 * the last hour), {@link ai.qubittron.bastion.netty.usage.KeyLoad} (each key's use of its rate limits this
 * minute) and {@link ai.qubittron.bastion.netty.usage.ModelLatency} (TTFT percentiles and throughput over
 * the last seconds). Read them from {@link ai.qubittron.bastion.netty.Bastion#usage(int)},
 * {@link ai.qubittron.bastion.netty.Bastion#keyLoad()} and
 * {@link ai.qubittron.bastion.netty.Bastion#modelLatency()}. Immutable snapshots; nothing is shared between
 * nodes.
 */
package ai.qubittron.bastion.netty.usage;
