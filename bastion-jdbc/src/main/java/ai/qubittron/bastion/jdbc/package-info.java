/**
 * Shared state for several gateway nodes on PostgreSQL: start with
 * {@link ai.qubittron.bastion.jdbc.PostgresBackend#connect}, then give the gateway its
 * {@link ai.qubittron.bastion.jdbc.JdbcLedger} and {@link ai.qubittron.bastion.jdbc.JdbcApiKeyStore}.
 */
package ai.qubittron.bastion.jdbc;
