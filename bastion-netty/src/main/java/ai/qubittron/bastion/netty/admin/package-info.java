/**
 * The admin API: a listener of its own, apart from the gateway's, to manage accounts, keys, credit,
 * tiers and prices, and to serve the metrics to a scraper. Start with
 * {@link ai.qubittron.bastion.netty.admin.AdminServer}, which serves an
 * {@link ai.qubittron.bastion.netty.admin.AdminBackend}: the single-node
 * {@link ai.qubittron.bastion.netty.admin.InMemoryAdminBackend}, or one over shared stores built with
 * {@link ai.qubittron.bastion.netty.admin.NodeSettings}, and reads a node's traffic through a
 * {@link ai.qubittron.bastion.netty.admin.GatewayView}. {@code GET /metrics} writes a
 * {@link ai.qubittron.bastion.netty.admin.MetricsExposition}, typically a Prometheus registry's scrape.
 * The same listener serves the dashboard ({@code ai.qubittron.bastion.netty.admin.dashboard}), signed in
 * with the admin token, a client of this API like any other.
 */
package ai.qubittron.bastion.netty.admin;
