package ai.qubittron.bastion.core.ledger;

import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Ledger} in memory, for one gateway node: accounts are opened and credited by the operator
 * ({@link #open}, {@link #credit}); reservations and settlements follow the SPI contract and complete
 * synchronously.
 *
 * <p><b>Concurrency.</b> Lock-free: each account's totals are one immutable {@link AccountBalance}
 * swapped by compare-and-set, so a reservation is granted only against a consistent snapshot and the
 * balance can never be over-reserved; each reservation's outcome is decided by one compare-and-set, so
 * racing settles and releases charge once. Any thread may call any method.
 *
 * <p><b>Request ids.</b> Ids are global to the ledger: an id is reserved at most once, whatever the
 * account. Settling or releasing an id that has no reservation on the named account (never reserved,
 * refused, or forgotten, see below) changes nothing and answers {@code chargedMicros = 0,
 * firstTime = false}.
 *
 * <p><b>Memory.</b> The outcome of a settled or released request is kept for the settlement retention
 * (2 seconds by default) after it was settled, so repeats within it answer the first outcome and the id
 * cannot be reserved again; after it, a repeat is answered as for an unknown id and the id could be
 * reserved anew. Outcomes are forgotten lazily: a {@link #reserve} that finds the oldest outcome expired
 * forgets up to eight expired ones, in settlement order, so the work is amortized over requests (never
 * one long sweep on an event loop) and memory stays proportional to the requests in flight plus those
 * settled within the retention. Only one thread forgets at a time; others skip it rather than wait. A
 * reservation that is never settled or released keeps its credit reserved: the gateway ends every
 * reservation it makes. Accounts are never removed.
 */
public final class InMemoryLedger implements Ledger {

    /**
     * How long settlement outcomes are remembered when the constructor is not told: 2 seconds. A repeat
     * of a settlement comes from a caller retrying at once (the gateway itself settles each request once;
     * this ledger answers synchronously, so no call of it times out and is retried), and a forgotten id is
     * still never charged twice (see the class doc). What the retention costs is memory and
     * garbage-collection work: about 150 bytes in 3 objects per request settled within it (the
     * reservation, its map entry and the request id), each copied by the young collections it lives
     * through. At 40,000 requests per second on 2 cores, a 10-second retention kept 400,000 of them and
     * cost 6 % more CPU per request than 2 seconds, and twice the young-collection pause.
     */
    public static final Duration DEFAULT_SETTLEMENT_RETENTION = Duration.ofSeconds(2);

    /** Expired outcomes forgotten per {@link #reserve}; more than one, so forgetting outpaces settling. */
    static final int PRUNE_BATCH = 8;

    private final Clock clock;
    private final long retentionMillis;
    private final ConcurrentMap<String, Account> accounts = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, OpenReservation> requests = new ConcurrentHashMap<>();
    private final SettledQueue settled = new SettledQueue();
    private final AtomicBoolean forgetting = new AtomicBoolean();

    /** A ledger on the system UTC clock, remembering outcomes for {@link #DEFAULT_SETTLEMENT_RETENTION}. */
    public InMemoryLedger() {
        this(Clock.systemUTC());
    }

    /** A ledger on {@code clock}, remembering outcomes for {@link #DEFAULT_SETTLEMENT_RETENTION}. */
    public InMemoryLedger(Clock clock) {
        this(clock, DEFAULT_SETTLEMENT_RETENTION);
    }

    /**
     * A ledger on {@code clock}, remembering settlement outcomes for {@code settlementRetention}.
     *
     * @throws IllegalArgumentException if the retention is not positive
     */
    public InMemoryLedger(Clock clock, Duration settlementRetention) {
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(settlementRetention, "settlementRetention");
        if (settlementRetention.isNegative() || settlementRetention.isZero()) {
            throw new IllegalArgumentException("settlementRetention: must be positive, got " + settlementRetention);
        }
        this.retentionMillis = settlementRetention.compareTo(Duration.ofMillis(Long.MAX_VALUE)) >= 0
                ? Long.MAX_VALUE : settlementRetention.toMillis();
    }

    /**
     * Opens an account with {@code balanceMicros} of prepaid credit.
     *
     * @throws IllegalArgumentException if the account exists or the balance is negative
     */
    public void open(String accountId, long balanceMicros) {
        Objects.requireNonNull(accountId, "accountId");
        if (balanceMicros < 0) {
            throw new IllegalArgumentException("balanceMicros: must be >= 0, got " + balanceMicros);
        }
        if (accounts.putIfAbsent(accountId, new Account(new AccountBalance(accountId, balanceMicros, 0, 0))) != null) {
            throw new IllegalArgumentException("accountId: account " + accountId + " already exists");
        }
    }

    /**
     * Adds {@code amountMicros} to an account's credit; effective for the next reservation.
     *
     * @throws IllegalArgumentException if the account does not exist, the amount is not positive, or the
     *                                  balance would overflow
     */
    public void credit(String accountId, long amountMicros) {
        Objects.requireNonNull(accountId, "accountId");
        if (amountMicros <= 0) {
            throw new IllegalArgumentException("amountMicros: must be > 0, got " + amountMicros);
        }
        Account account = accounts.get(accountId);
        if (account == null) {
            throw new IllegalArgumentException("accountId: no account " + accountId);
        }
        AccountBalance current;
        AccountBalance next;
        do {
            current = account.totals.get();
            if (current.balanceMicros() > Long.MAX_VALUE - amountMicros) {
                throw new IllegalArgumentException("amountMicros: " + amountMicros + " would overflow the balance of "
                        + accountId);
            }
            next = new AccountBalance(accountId, current.balanceMicros() + amountMicros,
                    current.reservedMicros(), current.spentMicros());
        } while (!account.totals.compareAndSet(current, next));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code amountMicros} is negative
     */
    @Override
    public CompletionStage<Reservation> reserve(String accountId, String requestId, long amountMicros) {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(requestId, "requestId");
        if (amountMicros < 0) {
            throw new IllegalArgumentException("amountMicros: must be >= 0, got " + amountMicros);
        }
        forgetExpired();
        Account account = accounts.get(accountId);
        if (account == null) {
            return CompletableFuture.completedFuture(new Reservation(false, amountMicros, 0));
        }
        if (requests.containsKey(requestId)) {
            return refused(account, amountMicros);
        }
        AccountBalance current;
        AccountBalance next;
        do {
            current = account.totals.get();
            if (current.availableMicros() < amountMicros) {
                return CompletableFuture.completedFuture(new Reservation(false, amountMicros, current.availableMicros()));
            }
            next = new AccountBalance(accountId, current.balanceMicros(), current.reservedMicros() + amountMicros,
                    current.spentMicros());
        } while (!account.totals.compareAndSet(current, next));
        if (requests.putIfAbsent(requestId, new OpenReservation(account, requestId, amountMicros)) != null) {
            // Lost a race with a duplicate id: hand the credit back.
            account.apply(-amountMicros, 0);
            return refused(account, amountMicros);
        }
        return CompletableFuture.completedFuture(new Reservation(true, amountMicros, next.availableMicros()));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code actualMicros} is negative
     */
    @Override
    public CompletionStage<Settlement> settle(String accountId, String requestId, long actualMicros) {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(requestId, "requestId");
        if (actualMicros < 0) {
            throw new IllegalArgumentException("actualMicros: must be >= 0, got " + actualMicros);
        }
        OpenReservation reservation = requests.get(requestId);
        if (reservation == null || !reservation.account.id.equals(accountId)) {
            return CompletableFuture.completedFuture(new Settlement(requestId, 0, false));
        }
        long charge = Math.min(actualMicros, reservation.amountMicros);
        long earlier = reservation.decide(charge);
        if (earlier != OpenReservation.UNDECIDED) {
            return CompletableFuture.completedFuture(new Settlement(requestId, earlier, false));
        }
        reservation.account.apply(-reservation.amountMicros, charge);
        long now = clock.millis();
        reservation.expiresAtMillis = now > Long.MAX_VALUE - retentionMillis ? Long.MAX_VALUE : now + retentionMillis;
        settled.offer(reservation);
        return CompletableFuture.completedFuture(new Settlement(requestId, charge, true));
    }

    /**
     * {@inheritDoc}
     *
     * <p>An unknown account has a zero balance.
     */
    @Override
    public CompletionStage<AccountBalance> balance(String accountId) {
        Objects.requireNonNull(accountId, "accountId");
        Account account = accounts.get(accountId);
        return CompletableFuture.completedFuture(
                account == null ? new AccountBalance(accountId, 0, 0, 0) : account.totals.get());
    }

    /** Request ids currently remembered: in flight or settled within the retention. For tests. */
    int trackedRequests() {
        return requests.size();
    }

    private static CompletionStage<Reservation> refused(Account account, long amountMicros) {
        return CompletableFuture.completedFuture(
                new Reservation(false, amountMicros, Math.max(0, account.totals.get().availableMicros())));
    }

    /** Forgets up to {@link #PRUNE_BATCH} outcomes whose retention is over, oldest first. */
    private void forgetExpired() {
        OpenReservation oldest = settled.peek();
        if (oldest == null || oldest.expiresAtMillis > clock.millis()) {
            return;
        }
        // One forgetter at a time (the queue has one consumer); the others skip, never wait.
        if (!forgetting.compareAndSet(false, true)) {
            return;
        }
        try {
            long now = clock.millis();
            for (int i = 0; i < PRUNE_BATCH; i++) {
                oldest = settled.peek();
                if (oldest == null || oldest.expiresAtMillis > now) {
                    return;
                }
                settled.poll();
                requests.remove(oldest.requestId, oldest);
            }
        } finally {
            forgetting.set(false);
        }
    }

    /** An account's totals, replaced as a whole by compare-and-set. */
    private static final class Account {
        final String id;
        final AtomicReference<AccountBalance> totals;

        Account(AccountBalance initial) {
            this.id = initial.accountId();
            this.totals = new AtomicReference<>(initial);
        }

        /** Adds {@code reservedDelta} to the reserved amount and moves {@code charge} from balance to spent. */
        void apply(long reservedDelta, long charge) {
            AccountBalance current;
            AccountBalance next;
            do {
                current = totals.get();
                next = new AccountBalance(current.accountId(), current.balanceMicros() - charge,
                        current.reservedMicros() + reservedDelta, current.spentMicros() + charge);
            } while (!totals.compareAndSet(current, next));
        }
    }

    /**
     * One granted reservation, and once settled its outcome and its place in the queue of settled
     * requests: one object per request for all of it, since the settled ones are what the ledger keeps
     * longest (their number is the request rate times the retention, each copied by every young
     * collection it lives through).
     */
    private static final class OpenReservation {
        /** {@link #charged} while the reservation is open: settlements charge {@code >= 0}. */
        static final long UNDECIDED = -1;
        private static final VarHandle CHARGED;
        private static final VarHandle NEXT;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                CHARGED = lookup.findVarHandle(OpenReservation.class, "charged", long.class);
                NEXT = lookup.findVarHandle(OpenReservation.class, "next", OpenReservation.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Account account;
        final String requestId;
        final long amountMicros;
        /** What the first settle or release charged; {@link #UNDECIDED} while the reservation is open. */
        private volatile long charged = UNDECIDED;
        /** When the outcome may be forgotten; written before the reservation is queued, which publishes it. */
        long expiresAtMillis;
        /** The next settled reservation in {@link SettledQueue}. */
        private volatile OpenReservation next;

        OpenReservation(Account account, String requestId, long amountMicros) {
            this.account = account;
            this.requestId = requestId;
            this.amountMicros = amountMicros;
        }

        /** Records {@code charge} as the outcome if none is yet; returns the earlier outcome otherwise, else {@link #UNDECIDED}. */
        long decide(long charge) {
            return (long) CHARGED.compareAndExchange(this, UNDECIDED, charge);
        }
    }

    /**
     * The settled reservations in settlement order: a multi-producer, single-consumer linked queue
     * through {@link OpenReservation#next} (after Dmitry Vyukov's), so queueing allocates nothing.
     * Any thread offers; only the holder of {@link #forgetting} polls. The consumed node stays as the
     * queue's head (one outcome kept a little longer), so the queue never empties to a null head.
     */
    private static final class SettledQueue {
        private static final VarHandle TAIL;

        static {
            try {
                TAIL = MethodHandles.lookup().findVarHandle(SettledQueue.class, "tail", OpenReservation.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** The last consumed node (first: a stub); its {@code next} is the oldest outcome not yet forgotten. */
        private volatile OpenReservation head;
        @SuppressWarnings("unused") // through TAIL
        private volatile OpenReservation tail;

        SettledQueue() {
            OpenReservation stub = new OpenReservation(null, null, 0);
            head = stub;
            tail = stub;
        }

        void offer(OpenReservation settled) {
            OpenReservation previous = (OpenReservation) TAIL.getAndSet(this, settled);
            // until this store, a consumer sees the queue end at previous: it forgets the rest later
            OpenReservation.NEXT.setRelease(previous, settled);
        }

        /** The oldest outcome not yet forgotten, or null; any thread may look. */
        OpenReservation peek() {
            return head.next;
        }

        /** Removes the oldest outcome; only the consumer calls it, after a non-null {@link #peek}. */
        void poll() {
            head = head.next;
        }
    }
}
