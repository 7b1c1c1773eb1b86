/**
 * The admin API: {@link ai.qubittron.bastion.netty.admin.AdminServer} over an
 * {@link ai.qubittron.bastion.netty.admin.AdminBackend} (single node:
 * {@link ai.qubittron.bastion.netty.admin.InMemoryAdminBackend}).
 */
package ai.qubittron.bastion.netty.admin;
