package ai.qubittron.bastion.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** Where the tests find PostgreSQL: the machine's own (database {@code test}, trust auth), which {@code .ci/run} starts. */
final class PostgresTesting {

    static final String URL = System.getProperty("bastion.test.postgres", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private PostgresTesting() {
    }

    /** Drops a test's schema and everything in it. */
    static void drop(String schema) {
        try (Connection c = DriverManager.getConnection(URL); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A schema of its own for one test: no history, nothing shared with another test. */
    static String freshSchema() {
        return "bastion_test_" + UUID.randomUUID().toString().replace("-", "");
    }
}
