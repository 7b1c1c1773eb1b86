/**
 * Shared state for several gateway nodes on PostgreSQL. Start with
 * {@link ai.qubittron.bastion.jdbc.PostgresBackend#connect(String)}: it opens the pool, migrates the
 * schema and makes the {@link ai.qubittron.bastion.jdbc.JdbcLedger} and the
 * {@link ai.qubittron.bastion.jdbc.JdbcApiKeyStore} to give the gateway's builder. Both pass the SPI
 * contract tests; closing the backend, after the gateway, closes them.
 */
package ai.qubittron.bastion.jdbc;
