package ai.qubittron.bastion.spi.tck;

import static ai.qubittron.bastion.spi.tck.Concurrently.await;
import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link Ledger}, for every implementation to subclass (Micrometer
 * {@code MeterRegistryCompatibilityKit} style): implement {@link #newLedger} and {@link #fund}, and every
 * test here runs against the implementation.
 *
 * <p>Each test gets a fresh ledger and a {@link MutableClock} that stands still at {@link #START_MILLIS};
 * an implementation whose records expire must keep them at least while the clock does not move. The
 * concurrency tests race 16 threads released by one start gate; the whole class runs in well under two
 * seconds against an in-memory ledger.
 *
 * <p>Checked: a reservation is granted only when the available credit (balance − reserved) covers it,
 * atomically, so racing reservations never together exceed the balance and the balance never goes
 * negative; settle charges {@code min(actual, reserved)} and frees the rest; release frees everything;
 * settle and release are idempotent per request id (a repeat answers the first outcome with
 * {@code firstTime == false} and changes nothing), racing duplicates charge once; a request id is
 * reserved at most once; an unknown account is refused; settling an unknown request id charges nothing.
 */
@Timeout(30)
public abstract class LedgerContractTest {

    /** Where the clock stands when a test starts: 2025-02-19T21:20:10.123Z. */
    protected static final long START_MILLIS = 1_740_000_010_123L;

    private static final String ACCOUNT = "acct-1";
    /** Duplicate-settle races are repeated: one double charge in thousands of attempts must not slip through. */
    private static final int DUPLICATE_RACES = 10;

    private MutableClock clock;
    private Ledger ledger;

    /** A new, empty ledger reading time from {@code clock}. */
    protected abstract Ledger newLedger(MutableClock clock);

    /**
     * Makes {@code accountId} exist in {@code ledger} with {@code balanceMicros} of credit (its own way:
     * open an account, credit it, insert a row). Called before any reservation on the account; the
     * account is new to the ledger.
     */
    protected abstract void fund(Ledger ledger, String accountId, long balanceMicros);

    /** The clock of the current test, for subclasses that add tests of their own. */
    protected final MutableClock clock() {
        return clock;
    }

    /** The ledger of the current test, for subclasses that add tests of their own. */
    protected final Ledger ledger() {
        return ledger;
    }

    @BeforeEach
    final void newLedgerAndClock() {
        clock = new MutableClock(START_MILLIS);
        ledger = newLedger(clock);
    }

    @Test
    void reservationWithinTheCreditIsGrantedAndLowersTheAvailableCredit() {
        fund(ledger, ACCOUNT, 1_000);

        Reservation reservation = await(ledger.reserve(ACCOUNT, "r1", 300));

        assertThat(reservation.granted()).isTrue();
        assertThat(reservation.amountMicros()).isEqualTo(300);
        assertThat(reservation.availableMicros()).isEqualTo(700);
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 300, 0));
        assertThat(balance().availableMicros()).isEqualTo(700);
    }

    @Test
    void reservationOfExactlyTheAvailableCreditIsGranted() {
        fund(ledger, ACCOUNT, 1_000);

        assertThat(await(ledger.reserve(ACCOUNT, "r1", 400)).granted()).isTrue();
        Reservation rest = await(ledger.reserve(ACCOUNT, "r2", 600));
        Reservation more = await(ledger.reserve(ACCOUNT, "r3", 1));

        assertThat(rest).isEqualTo(new Reservation(true, 600, 0));
        assertThat(more).isEqualTo(new Reservation(false, 1, 0));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 1_000, 0));
    }

    @Test
    void reservationBeyondTheCreditIsRefusedAndConsumesNothing() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 300));

        Reservation refused = await(ledger.reserve(ACCOUNT, "r2", 701));

        assertThat(refused).isEqualTo(new Reservation(false, 701, 700));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 300, 0));
        assertThat(await(ledger.reserve(ACCOUNT, "r3", 700)).granted()).isTrue();
    }

    @Test
    void reservationOnAnUnknownAccountIsRefused() {
        fund(ledger, ACCOUNT, 1_000);

        Reservation refused = await(ledger.reserve("acct-unknown", "r1", 1));

        assertThat(refused).isEqualTo(new Reservation(false, 1, 0));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 0, 0));
    }

    @Test
    void settleChargesTheActualCostAndFreesTheRest() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 400));

        Settlement settlement = await(ledger.settle(ACCOUNT, "r1", 250));

        assertThat(settlement).isEqualTo(new Settlement("r1", 250, true));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 750, 0, 250));
    }

    @Test
    void settleChargesAtMostTheReservedAmount() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 400));

        Settlement settlement = await(ledger.settle(ACCOUNT, "r1", 900));

        assertThat(settlement).isEqualTo(new Settlement("r1", 400, true));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 600, 0, 400));
    }

    @Test
    void releaseFreesTheWholeReservation() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 400));

        Settlement released = await(ledger.release(ACCOUNT, "r1"));

        assertThat(released).isEqualTo(new Settlement("r1", 0, true));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 0, 0));
    }

    @Test
    void spentAddsUpOverRequests() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 100));
        await(ledger.reserve(ACCOUNT, "r2", 200));
        await(ledger.reserve(ACCOUNT, "r3", 300));

        await(ledger.settle(ACCOUNT, "r1", 60));
        await(ledger.release(ACCOUNT, "r2"));
        await(ledger.settle(ACCOUNT, "r3", 300));

        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 640, 0, 360));
    }

    @Test
    void aRepeatedSettleAnswersTheFirstOutcomeAndChangesNothing() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 400));
        await(ledger.settle(ACCOUNT, "r1", 250));

        assertThat(await(ledger.settle(ACCOUNT, "r1", 100))).isEqualTo(new Settlement("r1", 250, false));
        assertThat(await(ledger.settle(ACCOUNT, "r1", 400))).isEqualTo(new Settlement("r1", 250, false));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 750, 0, 250));
    }

    @Test
    void aReleaseAfterASettleAnswersTheSettlementAndChangesNothing() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 400));
        await(ledger.settle(ACCOUNT, "r1", 250));

        assertThat(await(ledger.release(ACCOUNT, "r1"))).isEqualTo(new Settlement("r1", 250, false));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 750, 0, 250));
    }

    @Test
    void aSettleAfterAReleaseChargesNothing() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 400));
        await(ledger.release(ACCOUNT, "r1"));

        assertThat(await(ledger.settle(ACCOUNT, "r1", 300))).isEqualTo(new Settlement("r1", 0, false));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 0, 0));
    }

    @Test
    void aRepeatedReleaseChangesNothing() {
        fund(ledger, ACCOUNT, 1_000);
        await(ledger.reserve(ACCOUNT, "r1", 400));
        await(ledger.release(ACCOUNT, "r1"));

        assertThat(await(ledger.release(ACCOUNT, "r1"))).isEqualTo(new Settlement("r1", 0, false));
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 0, 0));
    }

    @Test
    void aRequestIdIsReservedAtMostOnce() {
        fund(ledger, ACCOUNT, 1_000);
        assertThat(await(ledger.reserve(ACCOUNT, "r1", 100)).granted()).isTrue();

        assertThat(await(ledger.reserve(ACCOUNT, "r1", 100)).granted()).isFalse();
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 100, 0));

        await(ledger.settle(ACCOUNT, "r1", 100));
        assertThat(await(ledger.reserve(ACCOUNT, "r1", 100)).granted()).isFalse();
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 900, 0, 100));
    }

    @Test
    void settlingARequestThatWasNeverReservedChargesNothing() {
        fund(ledger, ACCOUNT, 1_000);
        assertThat(await(ledger.reserve(ACCOUNT, "refused", 5_000)).granted()).isFalse();

        assertThat(await(ledger.settle(ACCOUNT, "never", 100)).chargedMicros()).isZero();
        assertThat(await(ledger.settle(ACCOUNT, "refused", 100)).chargedMicros()).isZero();
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, 1_000, 0, 0));
    }

    @Test
    void accountsAreIndependent() {
        fund(ledger, "acct-a", 1_000);
        fund(ledger, "acct-b", 500);

        assertThat(await(ledger.reserve("acct-a", "r1", 800)).granted()).isTrue();
        assertThat(await(ledger.reserve("acct-b", "r2", 500))).isEqualTo(new Reservation(true, 500, 0));
        await(ledger.settle("acct-b", "r2", 500));

        assertThat(await(ledger.balance("acct-a"))).isEqualTo(new AccountBalance("acct-a", 1_000, 800, 0));
        assertThat(await(ledger.balance("acct-b"))).isEqualTo(new AccountBalance("acct-b", 0, 0, 500));
    }

    /**
     * 16 threads × 250 reservations of 1 to 100 micros (about 200,000 in all) race on an account funded
     * with 50,000, while an observer reads the balance; then the threads settle or release what they
     * were granted, also racing.
     */
    @Test
    void racingReservationsNeverTogetherExceedTheBalanceAndSettleExactly() {
        int threads = 16;
        int perThread = 250;
        long initial = 50_000;
        fund(ledger, ACCOUNT, initial);
        long[][] granted = new long[threads][perThread];
        ConcurrentLinkedQueue<Long> refusedAmounts = new ConcurrentLinkedQueue<>();
        AtomicReference<String> violation = new AtomicReference<>();
        AtomicBoolean racing = new AtomicBoolean(true);
        Thread observer = new Thread(() -> {
            while (racing.get()) {
                AccountBalance seen = balance();
                if (seen.balanceMicros() < 0 || seen.reservedMicros() < 0 || seen.availableMicros() < 0
                        || seen.spentMicros() < 0) {
                    violation.compareAndSet(null, seen.toString());
                }
                Thread.onSpinWait();
            }
        }, "tck-observer");
        observer.setDaemon(true);
        observer.start();
        try {
            Concurrently.run(threads, t -> {
                for (int i = 0; i < perThread; i++) {
                    long amount = amount(t, i, perThread);
                    Reservation reservation = await(ledger.reserve(ACCOUNT, requestId(t, i), amount));
                    assertThat(reservation.amountMicros()).isEqualTo(amount);
                    if (reservation.granted()) {
                        granted[t][i] = amount;
                    } else {
                        refusedAmounts.add(amount);
                    }
                }
            });
            long grantedSum = sum(granted);
            AccountBalance afterReserving = balance();
            assertThat(grantedSum).isLessThanOrEqualTo(initial).isPositive();
            assertThat(afterReserving).isEqualTo(new AccountBalance(ACCOUNT, initial, grantedSum, 0));
            // Credit only shrank during the race, so each refusal saw at least what is available now.
            assertThat(refusedAmounts).isNotEmpty().allSatisfy(
                    amount -> assertThat(amount).isGreaterThan(afterReserving.availableMicros()));

            AtomicLong charged = new AtomicLong();
            Concurrently.run(threads, t -> {
                for (int i = 0; i < perThread; i++) {
                    long amount = granted[t][i];
                    if (amount == 0) {
                        continue;
                    }
                    String id = requestId(t, i);
                    Settlement settlement = i % 4 == 0
                            ? await(ledger.release(ACCOUNT, id))
                            : await(ledger.settle(ACCOUNT, id, amount * (i % 3)));
                    long expected = i % 4 == 0 ? 0 : Math.min(amount, amount * (i % 3));
                    assertThat(settlement).isEqualTo(new Settlement(id, expected, true));
                    charged.addAndGet(settlement.chargedMicros());
                }
            });
            assertThat(balance()).isEqualTo(
                    new AccountBalance(ACCOUNT, initial - charged.get(), 0, charged.get()));
        } finally {
            racing.set(false);
        }
        assertThat(violation.get()).as("a balance seen during the race").isNull();
    }

    /**
     * 8 threads settle or release the same 200 reservations at the same time, in the same order so they
     * collide; repeated {@value #DUPLICATE_RACES} times on fresh request ids.
     */
    @Test
    void racingDuplicateSettlesChargeOnce() {
        int threads = 8;
        int requests = 200;
        long initial = 10_000_000;
        fund(ledger, ACCOUNT, initial);
        Map<String, Queue<Settlement>> outcomes = new ConcurrentHashMap<>();

        for (int race = 0; race < DUPLICATE_RACES; race++) {
            String prefix = "dup-" + race + "-";
            for (int r = 0; r < requests; r++) {
                assertThat(await(ledger.reserve(ACCOUNT, prefix + r, 1_000)).granted()).isTrue();
            }
            Concurrently.run(threads, t -> {
                for (int r = 0; r < requests; r++) {
                    String id = prefix + r;
                    Settlement settlement = t % 3 == 0
                            ? await(ledger.release(ACCOUNT, id))
                            : await(ledger.settle(ACCOUNT, id, 100L * (t + 1)));
                    assertThat(settlement.requestId()).isEqualTo(id);
                    outcomes.computeIfAbsent(id, x -> new ConcurrentLinkedQueue<>()).add(settlement);
                }
            });
        }

        long charged = 0;
        assertThat(outcomes).hasSize(DUPLICATE_RACES * requests);
        for (Map.Entry<String, Queue<Settlement>> entry : outcomes.entrySet()) {
            Queue<Settlement> all = entry.getValue();
            assertThat(all).as(entry.getKey()).hasSize(threads);
            assertThat(all.stream().filter(Settlement::firstTime)).as(entry.getKey()).hasSize(1);
            long first = all.stream().filter(Settlement::firstTime).findFirst().orElseThrow().chargedMicros();
            assertThat(all).as(entry.getKey()).allSatisfy(s -> assertThat(s.chargedMicros()).isEqualTo(first));
            charged += first;
        }
        assertThat(balance()).isEqualTo(new AccountBalance(ACCOUNT, initial - charged, 0, charged));
    }

    private AccountBalance balance() {
        return await(ledger.balance(ACCOUNT));
    }

    private static long amount(int thread, int index, int perThread) {
        return 1 + (thread * perThread + index) * 37L % 100;
    }

    private static String requestId(int thread, int index) {
        return "req-" + thread + "-" + index;
    }

    private static long sum(long[][] values) {
        long sum = 0;
        for (long[] row : values) {
            for (long value : row) {
                sum += value;
            }
        }
        return sum;
    }
}
