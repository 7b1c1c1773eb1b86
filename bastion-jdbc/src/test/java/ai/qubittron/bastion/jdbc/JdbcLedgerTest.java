package ai.qubittron.bastion.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.ledger.Settlement;
import ai.qubittron.bastion.spi.tck.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the contract does not cover: reservations that outlive their node, and the schema's own guards. */
class JdbcLedgerTest {

    private final MutableClock clock = new MutableClock(1_740_000_010_123L);
    private final String schema = PostgresTesting.freshSchema();
    private PostgresBackend backend;
    private JdbcLedger ledger;

    @BeforeEach
    void start() {
        backend = PostgresBackend.connect(PostgresTesting.URL, PostgresBackend.Options.defaults().withSchema(schema)
                .withClock(clock).withReservationTtl(Duration.ofMinutes(10)));
        ledger = backend.ledger();
        ledger.open("acct", 1_000);
    }

    @AfterEach
    void stop() {
        backend.close();
        PostgresTesting.drop(schema);
    }

    private AccountBalance balance() {
        return ledger.balance("acct").toCompletableFuture().join();
    }

    @Test
    void aReservationHeldPastItsTtlIsReleasedAndALateSettleIsStillCharged() {
        assertThat(ledger.reserve("acct", "crashed", 300).toCompletableFuture().join().granted()).isTrue();
        assertThat(ledger.reserve("acct", "slow", 200).toCompletableFuture().join().granted()).isTrue();
        clock.advance(Duration.ofMinutes(9));
        assertThat(ledger.reserve("acct", "fresh", 100).toCompletableFuture().join().granted()).isTrue();
        assertThat(ledger.releaseExpired()).isZero();

        clock.advance(Duration.ofMinutes(2));
        // the first two are past their 10 minutes; the third is not
        assertThat(ledger.releaseExpired()).isEqualTo(1);
        assertThat(balance()).isEqualTo(new AccountBalance("acct", 1_000, 100, 0));

        // the node of "slow" was only slow: its settle still charges, from what the account has
        assertThat(ledger.settle("acct", "slow", 150).toCompletableFuture().join())
                .isEqualTo(new Settlement("slow", 150, true));
        assertThat(ledger.settle("acct", "slow", 150).toCompletableFuture().join())
                .isEqualTo(new Settlement("slow", 150, false));
        assertThat(ledger.release("acct", "crashed").toCompletableFuture().join())
                .isEqualTo(new Settlement("crashed", 0, true));
        assertThat(ledger.settle("acct", "fresh", 100).toCompletableFuture().join().chargedMicros()).isEqualTo(100);
        assertThat(balance()).isEqualTo(new AccountBalance("acct", 750, 0, 250));
    }

    @Test
    void creditAddsToTheBalanceAndAnAccountOpensOnce() {
        assertThat(ledger.open("acct", 5)).isFalse();
        assertThat(ledger.credit("acct", 500)).isEqualTo(new AccountBalance("acct", 1_500, 0, 0));
        assertThat(ledger.reserve("acct", "r", 1_500).toCompletableFuture().join().availableMicros()).isZero();
    }
}
