package ai.qubittron.bastion.core.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A request's settlement reaches the ledger once it answers: a failure (a database outage) is retried. */
class BillingTest {

    private static final ModelPrice PRICE = new ModelPrice(1_000_000, 1_000_000);

    /** An in-memory ledger whose settlements fail a number of times first (thrown or as failed stages). */
    private static final class Flaky implements Ledger {
        final InMemoryLedger ledger = new InMemoryLedger();
        final AtomicInteger settleCalls = new AtomicInteger();
        final int failures;

        Flaky(int failures) {
            this.failures = failures;
        }

        @Override
        public CompletionStage<Reservation> reserve(String accountId, String requestId, long amountMicros) {
            return ledger.reserve(accountId, requestId, amountMicros);
        }

        @Override
        public CompletionStage<Settlement> settle(String accountId, String requestId, long actualMicros) {
            int call = settleCalls.incrementAndGet();
            if (call <= failures) {
                if (call % 2 == 0) {
                    throw new IllegalStateException("the database is down (thrown)");
                }
                return CompletableFuture.failedFuture(new IllegalStateException("the database is down"));
            }
            return ledger.settle(accountId, requestId, actualMicros);
        }

        @Override
        public CompletionStage<AccountBalance> balance(String accountId) {
            return ledger.balance(accountId);
        }
    }

    @Test
    void aSettlementThatFailsIsRetriedUntilTheLedgerTakesIt() throws Exception {
        Flaky flaky = new Flaky(4);
        flaky.ledger.open("acct", 1_000);
        assertThat(flaky.reserve("acct", "req_1", 100).toCompletableFuture().join().granted()).isTrue();
        Billing billing = new Billing(flaky, "acct", "req_1", PRICE, 100);

        Settlement settled = billing.settle(30, 10).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(settled.chargedMicros()).isEqualTo(40);
        assertThat(flaky.settleCalls.get()).isEqualTo(5);
        AccountBalance balance = flaky.balance("acct").toCompletableFuture().join();
        assertThat(balance.reservedMicros()).isZero();
        assertThat(balance.spentMicros()).isEqualTo(40);
        // settled once: a second call does not reach the ledger again
        billing.settle(30, 10);
        billing.release();
        assertThat(flaky.settleCalls.get()).isEqualTo(5);
    }

    @Test
    void aLedgerThatNeverAnswersIsGivenUpAfterTheLimit() {
        Flaky flaky = new Flaky(Integer.MAX_VALUE);
        flaky.ledger.open("acct", 1_000);
        flaky.reserve("acct", "req_1", 100).toCompletableFuture().join();
        Billing billing = new Billing(flaky, "acct", "req_1", PRICE, 100, Duration.ofMillis(300));

        assertThatThrownBy(() -> billing.settle(30, 10).toCompletableFuture().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasRootCauseInstanceOf(IllegalStateException.class)
                .rootCause().hasMessageStartingWith("the database is down");
        assertThat(flaky.settleCalls.get()).isBetween(2, 10);
        // the reservation stays held: never more spent than was settled
        assertThat(flaky.balance("acct").toCompletableFuture().join().reservedMicros()).isEqualTo(100);
    }
}
