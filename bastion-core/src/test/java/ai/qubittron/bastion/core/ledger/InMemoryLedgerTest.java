package ai.qubittron.bastion.core.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.ledger.Settlement;
import ai.qubittron.bastion.spi.tck.LedgerContractTest;
import ai.qubittron.bastion.spi.tck.MutableClock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class InMemoryLedgerTest extends LedgerContractTest {

    private static final Duration RETENTION = Duration.ofMinutes(10);

    @Override
    protected Ledger newLedger(MutableClock clock) {
        return new InMemoryLedger(clock, RETENTION);
    }

    @Override
    protected void fund(Ledger ledger, String accountId, long balanceMicros) {
        ((InMemoryLedger) ledger).open(accountId, balanceMicros);
    }

    private InMemoryLedger inMemory() {
        return (InMemoryLedger) ledger();
    }

    @Test
    void openRefusesAnExistingAccountAndANegativeBalance() {
        inMemory().open("a", 0);

        assertThatThrownBy(() -> inMemory().open("a", 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
        assertThatThrownBy(() -> inMemory().open("b", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("balanceMicros");
    }

    @Test
    void creditAddsToTheBalanceAndTheAvailableCredit() {
        inMemory().open("a", 100);
        assertThat(now(inMemory().reserve("a", "r1", 100)).granted()).isTrue();

        inMemory().credit("a", 50);

        assertThat(now(inMemory().balance("a"))).isEqualTo(new AccountBalance("a", 150, 100, 0));
        assertThat(now(inMemory().reserve("a", "r2", 50))).isEqualTo(new Reservation(true, 50, 0));
    }

    @Test
    void creditRefusesAnUnknownAccountANonPositiveAmountAndOverflow() {
        inMemory().open("a", Long.MAX_VALUE - 1);

        assertThatThrownBy(() -> inMemory().credit("nobody", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nobody");
        assertThatThrownBy(() -> inMemory().credit("a", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("amountMicros");
        assertThatThrownBy(() -> inMemory().credit("a", 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflow");
        inMemory().credit("a", 1);
        assertThat(now(inMemory().balance("a")).balanceMicros()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void negativeAmountsAreRefusedAsArgumentErrors() {
        inMemory().open("a", 100);

        assertThatThrownBy(() -> inMemory().reserve("a", "r1", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("amountMicros");
        assertThatThrownBy(() -> inMemory().settle("a", "r1", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actualMicros");
        assertThatThrownBy(() -> new InMemoryLedger(clock(), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("settlementRetention");
    }

    @Test
    void anUnknownAccountHasAZeroBalance() {
        assertThat(now(inMemory().balance("nobody"))).isEqualTo(new AccountBalance("nobody", 0, 0, 0));
    }

    @Test
    void settlingOnAnotherAccountThanTheReservationsChangesNothing() {
        inMemory().open("a", 100);
        inMemory().open("b", 100);
        now(inMemory().reserve("a", "r1", 60));

        assertThat(now(inMemory().settle("b", "r1", 60))).isEqualTo(new Settlement("r1", 0, false));
        assertThat(now(inMemory().balance("b"))).isEqualTo(new AccountBalance("b", 100, 0, 0));
        assertThat(now(inMemory().settle("a", "r1", 60))).isEqualTo(new Settlement("r1", 60, true));
    }

    @Test
    void settledOutcomesAreRememberedForTheRetentionThenForgotten() {
        inMemory().open("a", 1_000);
        now(inMemory().reserve("a", "r1", 100));
        now(inMemory().settle("a", "r1", 40));

        clock().advance(RETENTION.minusMillis(1));
        now(inMemory().reserve("a", "r2", 1));
        assertThat(now(inMemory().settle("a", "r1", 100))).isEqualTo(new Settlement("r1", 40, false));
        assertThat(now(inMemory().reserve("a", "r1", 10)).granted()).isFalse();

        // a retention on, r1 is in the previous table: still remembered
        clock().advanceMillis(1);
        assertThat(now(inMemory().settle("a", "r1", 100))).isEqualTo(new Settlement("r1", 40, false));
        assertThat(inMemory().trackedRequests()).isEqualTo(2);

        // two retentions on, that table is dropped
        clock().advance(RETENTION);
        assertThat(now(inMemory().settle("a", "r1", 100))).isEqualTo(new Settlement("r1", 0, false));
        assertThat(inMemory().trackedRequests()).isEqualTo(1); // r2, in flight
        assertThat(now(inMemory().balance("a"))).isEqualTo(new AccountBalance("a", 960, 1, 40));
        assertThat(now(inMemory().reserve("a", "r1", 10)).granted()).isTrue();
    }

    @Test
    void afterALongPauseEveryOutcomeIsForgottenAtOnce() {
        inMemory().open("a", 1_000);
        now(inMemory().reserve("a", "r1", 100));
        now(inMemory().release("a", "r1"));

        clock().advance(RETENTION.multipliedBy(5));
        assertThat(inMemory().trackedRequests()).isZero();
        assertThat(now(inMemory().reserve("a", "r1", 10)).granted()).isTrue();
    }

    @Test
    void outcomeTablesGrowWhenARetentionHoldsMoreThanTheyDo() {
        int requests = InMemoryLedger.INITIAL_TABLE_SLOTS * 3;
        inMemory().open("a", requests);
        for (int i = 0; i < requests; i++) {
            now(inMemory().reserve("a", "r" + i, 1));
            now(inMemory().settle("a", "r" + i, i % 2));
        }
        assertThat(inMemory().trackedRequests()).isGreaterThanOrEqualTo(InMemoryLedger.INITIAL_TABLE_SLOTS * 2);
        // the latest outcomes are all remembered, with their own charge and account
        for (int i = requests - InMemoryLedger.INITIAL_TABLE_SLOTS; i < requests; i++) {
            assertThat(now(inMemory().settle("a", "r" + i, 1))).isEqualTo(new Settlement("r" + i, i % 2, false));
        }
        assertThat(now(inMemory().balance("a")).spentMicros()).isEqualTo(requests / 2);
    }

    @Test
    void aRepeatOnAnotherAccountOfASettledRequestChargesNothingAndSaysSo() {
        inMemory().open("a", 100);
        inMemory().open("b", 100);
        now(inMemory().reserve("a", "r1", 60));
        now(inMemory().settle("a", "r1", 30));

        assertThat(now(inMemory().settle("b", "r1", 60))).isEqualTo(new Settlement("r1", 0, false));
        assertThat(now(inMemory().settle("nobody", "r1", 60))).isEqualTo(new Settlement("r1", 0, false));
        assertThat(now(inMemory().settle("a", "r1", 60))).isEqualTo(new Settlement("r1", 30, false));
        assertThat(now(inMemory().balance("b"))).isEqualTo(new AccountBalance("b", 100, 0, 0));
    }

    @Test
    void requestIdHashesSpreadAndAreNeverZero() {
        java.util.Set<Long> hashes = new java.util.HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            long h = InMemoryLedger.idHash("req_" + Long.toHexString(i * 0x9e3779b97f4a7c15L));
            assertThat(h).isNotZero();
            hashes.add(h);
        }
        assertThat(hashes).hasSize(100_000);
    }

    @Test
    void theSystemClockConstructorWorks() {
        InMemoryLedger ledger = new InMemoryLedger();
        ledger.open("a", 10);

        assertThat(now(ledger.reserve("a", "r1", 10)).granted()).isTrue();
        assertThat(now(ledger.settle("a", "r1", 5))).isEqualTo(new Settlement("r1", 5, true));
    }

    /** The in-memory ledger completes every stage before returning it. */
    private static <T> T now(CompletionStage<T> stage) {
        assertThat(stage.toCompletableFuture()).isDone();
        return stage.toCompletableFuture().join();
    }
}
