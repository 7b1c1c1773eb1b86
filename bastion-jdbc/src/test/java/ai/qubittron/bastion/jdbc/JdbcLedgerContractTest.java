package ai.qubittron.bastion.jdbc;

import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.tck.LedgerContractTest;
import ai.qubittron.bastion.spi.tck.MutableClock;
import org.junit.jupiter.api.AfterEach;

/** The SPI contract, unchanged, against PostgreSQL. */
class JdbcLedgerContractTest extends LedgerContractTest {

    private PostgresBackend backend;
    private String schema;

    @Override
    protected Ledger newLedger(MutableClock clock) {
        backend = PostgresBackend.connect(PostgresTesting.URL, PostgresBackend.Options.defaults()
                .withSchema(schema = PostgresTesting.freshSchema()).withClock(clock).withPoolSize(16));
        return backend.ledger();
    }

    @Override
    protected void fund(Ledger ledger, String accountId, long balanceMicros) {
        ((JdbcLedger) ledger).open(accountId, balanceMicros);
    }

    @AfterEach
    void close() {
        backend.close();
        PostgresTesting.drop(schema);
    }
}
