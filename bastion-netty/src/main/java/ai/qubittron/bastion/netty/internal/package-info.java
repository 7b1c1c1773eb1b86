/**
 * The gateway's I/O, not public API. Start with {@link ai.qubittron.bastion.netty.internal.GatewayPipeline}
 * (the client pipeline), {@link ai.qubittron.bastion.netty.internal.GatewayHandler} (one client
 * connection), {@link ai.qubittron.bastion.netty.internal.Exchange} (one relayed request: the hot path),
 * {@link ai.qubittron.bastion.netty.internal.UpstreamPool} (per-event-loop upstream connections),
 * {@link ai.qubittron.bastion.netty.internal.GatewayMeters} (the Micrometer meters and their tags) and
 * {@link ai.qubittron.bastion.netty.internal.UsageRecorder} (the per-node usage the admin API reads).
 */
package ai.qubittron.bastion.netty.internal;
