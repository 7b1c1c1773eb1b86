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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
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
 * <p><b>Memory.</b> Only reservations in flight are objects. The outcome of a settled or released
 * request is kept for the settlement retention (2 seconds by default) as three numbers in a table of
 * primitives — a 64-bit hash of the request id, the charge, the account — so that repeats within it
 * answer the first outcome and the id cannot be reserved again; the garbage collector never copies or
 * traces them (a settled request kept as objects cost the young collections 60 ms pauses at 40,000
 * requests per second). The table is replaced by a fresh one each retention, the one before it kept for
 * one more retention, so an outcome is remembered for at least the retention and at most three times
 * it; a table that fills up before its retention is over is replaced early by one twice its size, and
 * the outcomes of the table dropped then are remembered for less. A forgotten outcome is answered as
 * for an unknown id, and the id could be reserved anew. Two ids of one hash (a chance of about one in
 * 2<sup>64</sup> per pair) are one id to the table: the second one's repeats answer the first one's
 * outcome, or, if it is new, its reservation is refused; money is never moved by a repeat either way. A
 * reservation that is never settled or released keeps its credit reserved: the gateway ends every
 * reservation it makes. Accounts are never removed.
 */
public final class InMemoryLedger implements Ledger {

    /**
     * How long settlement outcomes are remembered (at least) when the constructor is not told: 2 seconds.
     * A repeat of a settlement comes from a caller retrying at once (the gateway itself settles each
     * request once; this ledger answers synchronously, so no call of it times out and is retried), and a
     * forgotten id is still never charged twice (see the class doc). What the retention costs is the
     * outcome tables: 20 bytes per slot, at most half the slots used.
     */
    public static final Duration DEFAULT_SETTLEMENT_RETENTION = Duration.ofSeconds(2);

    /** Slots of the first outcome table (a power of two); tables double when they fill up within a retention. */
    static final int INITIAL_TABLE_SLOTS = 4096;
    /** The most slots of one outcome table: 2<sup>24</sup>, 320 MiB (8 million outcomes per retention). */
    static final int MAX_TABLE_SLOTS = 1 << 24;

    private final Clock clock;
    private final long retentionMillis;
    private final ConcurrentMap<String, Account> accounts = new ConcurrentHashMap<>();
    /** Reservations in flight (granted, not yet settled or released). */
    private final ConcurrentMap<String, OpenReservation> requests = new ConcurrentHashMap<>();
    private final AtomicInteger accountNumbers = new AtomicInteger();
    /** The outcome tables: the one being filled and the one before it. */
    private final AtomicReference<Generations> outcomes;

    /** A ledger on the system UTC clock, remembering outcomes for {@link #DEFAULT_SETTLEMENT_RETENTION}. */
    public InMemoryLedger() {
        this(Clock.systemUTC());
    }

    /**
     * A ledger on {@code clock}, remembering outcomes for {@link #DEFAULT_SETTLEMENT_RETENTION}.
     *
     * @param clock what ages the settlement outcomes (tests move it)
     */
    public InMemoryLedger(Clock clock) {
        this(clock, DEFAULT_SETTLEMENT_RETENTION);
    }

    /**
     * A ledger on {@code clock}, remembering settlement outcomes for {@code settlementRetention}.
     *
     * @param clock               what ages the settlement outcomes
     * @param settlementRetention how long outcomes are remembered at least (at most three times as long)
     * @throws IllegalArgumentException if the retention is not positive
     */
    public InMemoryLedger(Clock clock, Duration settlementRetention) {
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(settlementRetention, "settlementRetention");
        if (settlementRetention.isNegative() || settlementRetention.isZero()) {
            throw new IllegalArgumentException("settlementRetention: must be positive, got " + settlementRetention);
        }
        this.retentionMillis = settlementRetention.compareTo(Duration.ofMillis(Long.MAX_VALUE / 4)) >= 0
                ? Long.MAX_VALUE / 4 : settlementRetention.toMillis();
        this.outcomes = new AtomicReference<>(new Generations(new OutcomeTable(INITIAL_TABLE_SLOTS, clock.millis()),
                OutcomeTable.EMPTY));
    }

    /**
     * Opens an account with {@code balanceMicros} of prepaid credit; any thread.
     *
     * @param accountId     the account's id, as principals name it
     * @param balanceMicros its credit, {@code >= 0}
     * @throws IllegalArgumentException if the account exists or the balance is negative
     */
    public void open(String accountId, long balanceMicros) {
        Objects.requireNonNull(accountId, "accountId");
        if (balanceMicros < 0) {
            throw new IllegalArgumentException("balanceMicros: must be >= 0, got " + balanceMicros);
        }
        if (accounts.putIfAbsent(accountId, new Account(new AccountBalance(accountId, balanceMicros, 0, 0),
                accountNumbers.incrementAndGet())) != null) {
            throw new IllegalArgumentException("accountId: account " + accountId + " already exists");
        }
    }

    /**
     * Adds {@code amountMicros} to an account's credit; effective for the next reservation; any thread.
     *
     * @param accountId    an account opened with {@link #open}
     * @param amountMicros the credit to add, {@code > 0}
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
        OpenReservation reservation = new OpenReservation(account, amountMicros);
        if (requests.putIfAbsent(requestId, reservation) != null) {
            // Lost a race with a duplicate id: hand the credit back.
            account.apply(-amountMicros, 0);
            return refused(account, amountMicros);
        }
        if (generations(clock.millis()).contains(idHash(requestId))) {
            // The id was reserved and settled before (within the retention; a settle records its outcome
            // before it leaves the map, so a racing one is seen here too): ours is a second reservation.
            requests.remove(requestId, reservation);
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
        if (reservation == null) {
            return CompletableFuture.completedFuture(remembered(accountId, requestId));
        }
        if (!reservation.account.id.equals(accountId)) {
            return CompletableFuture.completedFuture(new Settlement(requestId, 0, false));
        }
        long charge = Math.min(actualMicros, reservation.amountMicros);
        long earlier = reservation.decide(charge);
        if (earlier != OpenReservation.UNDECIDED) {
            return CompletableFuture.completedFuture(new Settlement(requestId, earlier, false));
        }
        reservation.account.apply(-reservation.amountMicros, charge);
        // recorded before the reservation leaves the map: a repeat finds one or the other
        remember(idHash(requestId), charge, reservation.account.number);
        requests.remove(requestId, reservation);
        return CompletableFuture.completedFuture(new Settlement(requestId, charge, true));
    }

    /** The answer to a repeat of a settlement no longer in flight: its outcome if remembered, else nothing charged. */
    private Settlement remembered(String accountId, String requestId) {
        Account account = accounts.get(accountId);
        long idHash = idHash(requestId);
        Generations tables = generations(clock.millis());
        for (OutcomeTable table : new OutcomeTable[] {tables.current, tables.previous}) {
            int slot = table.slotOf(idHash);
            if (slot >= 0) {
                return account != null && table.accountAt(slot) == account.number
                        ? new Settlement(requestId, table.chargeAt(slot), false) : new Settlement(requestId, 0, false);
            }
        }
        return new Settlement(requestId, 0, false);
    }

    private void remember(long idHash, long charge, int accountNumber) {
        while (true) {
            Generations tables = generations(clock.millis());
            if (tables.current.insert(idHash, charge, accountNumber)) {
                return;
            }
            // full: a fresh table twice its size, this one kept as the previous
            OutcomeTable full = tables.current;
            int slots = Math.min(MAX_TABLE_SLOTS, full.slots() * 2);
            outcomes.compareAndSet(tables, new Generations(new OutcomeTable(slots, clock.millis()), full));
        }
    }

    /**
     * The outcome tables as of {@code now}: once the current table is a retention old, it becomes the
     * previous one (the one before is dropped) and a new one is begun; once it is two retentions old,
     * every outcome in both is older than the retention (each insert first comes here) and both go.
     */
    private Generations generations(long now) {
        Generations tables = outcomes.get();
        long age = now - tables.current.startedMillis;
        if (age < retentionMillis) {
            return tables;
        }
        OutcomeTable old = tables.current;
        // sized for what the last retention held, at most half full
        int slots = Math.max(INITIAL_TABLE_SLOTS, Math.min(MAX_TABLE_SLOTS, Integer.highestOneBit(Math.max(1, old.size())) * 4));
        Generations next = new Generations(new OutcomeTable(slots, now), age >= 2 * retentionMillis ? OutcomeTable.EMPTY : old);
        return outcomes.compareAndSet(tables, next) ? next : outcomes.get();
    }

    /** A 64-bit hash of a request id (FNV-1a over its chars, then a murmur finalizer); never 0. */
    static long idHash(String requestId) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < requestId.length(); i++) {
            h = (h ^ requestId.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h;
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

    /** Request ids currently remembered: in flight, or settled and in an outcome table. For tests. */
    int trackedRequests() {
        Generations tables = generations(clock.millis());
        return requests.size() + tables.current.size() + tables.previous.size();
    }

    private static CompletionStage<Reservation> refused(Account account, long amountMicros) {
        return CompletableFuture.completedFuture(
                new Reservation(false, amountMicros, Math.max(0, account.totals.get().availableMicros())));
    }

    /** An account's totals, replaced as a whole by compare-and-set. */
    private static final class Account {
        final String id;
        /** A number of its own in this ledger, which outcome tables record. */
        final int number;
        final AtomicReference<AccountBalance> totals;

        Account(AccountBalance initial, int number) {
            this.id = initial.accountId();
            this.number = number;
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

    /** One granted reservation in flight; {@code charged} is set once, by the first settle or release. */
    private static final class OpenReservation {
        /** {@link #charged} while the reservation is open: settlements charge {@code >= 0}. */
        static final long UNDECIDED = -1;
        private static final VarHandle CHARGED;

        static {
            try {
                CHARGED = MethodHandles.lookup().findVarHandle(OpenReservation.class, "charged", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Account account;
        final long amountMicros;
        @SuppressWarnings("unused") // through CHARGED
        private volatile long charged = UNDECIDED;

        OpenReservation(Account account, long amountMicros) {
            this.account = account;
            this.amountMicros = amountMicros;
        }

        /** Records {@code charge} as the outcome if none is yet; returns the earlier outcome, else {@link #UNDECIDED}. */
        long decide(long charge) {
            return (long) CHARGED.compareAndExchange(this, UNDECIDED, charge);
        }
    }

    /** The outcome table being filled and the one before it; replaced as a whole. */
    private record Generations(OutcomeTable current, OutcomeTable previous) {

        /** Whether either table has an outcome for the id hash. */
        boolean contains(long idHash) {
            return current.slotOf(idHash) >= 0 || previous.slotOf(idHash) >= 0;
        }
    }

    /**
     * Settled outcomes as primitives, written by any thread without a lock: an open-addressing table of
     * id hashes (linear probing, insert only, each slot claimed by compare-and-set) with the charge and
     * the account number beside each. A table is used until it is half full, then replaced whole.
     *
     * <p>A slot's charge and account are written just after its hash is claimed; they are read only by a
     * repeat settlement, which looks here only once the reservation has left the in-flight map, and the
     * settlement writes them before it removes it.
     */
    private static final class OutcomeTable {
        static final OutcomeTable EMPTY = new OutcomeTable(1, 0);

        final long startedMillis;
        private final AtomicLongArray keys;
        private final AtomicLongArray charges;
        private final AtomicIntegerArray accounts;
        private final int mask;
        private final int limit;
        private final AtomicInteger size = new AtomicInteger();

        OutcomeTable(int slots, long startedMillis) {
            this.startedMillis = startedMillis;
            this.keys = new AtomicLongArray(slots);
            this.charges = new AtomicLongArray(slots);
            this.accounts = new AtomicIntegerArray(slots);
            this.mask = slots - 1;
            this.limit = slots / 2;
        }

        int slots() {
            return mask + 1;
        }

        /** Outcomes recorded (a hash recorded twice counts twice). */
        int size() {
            return Math.min(size.get(), limit);
        }

        /**
         * Records an outcome; false when the table is full (nothing recorded). A hash already there keeps
         * its first outcome (true).
         */
        boolean insert(long idHash, long charge, int accountNumber) {
            if (limit == 0 || size.incrementAndGet() > limit) {
                return false;
            }
            for (int i = (int) idHash & mask; ; i = (i + 1) & mask) {
                long key = keys.get(i);
                if (key == 0 && keys.compareAndSet(i, 0, idHash)) {
                    charges.set(i, charge);
                    accounts.set(i, accountNumber);
                    return true;
                }
                if (keys.get(i) == idHash) {
                    return true;
                }
            }
        }

        /** The slot of an id hash, or -1. */
        int slotOf(long idHash) {
            if (limit == 0) {
                return -1;
            }
            for (int i = (int) idHash & mask; ; i = (i + 1) & mask) {
                long key = keys.get(i);
                if (key == idHash) {
                    return i;
                }
                if (key == 0) {
                    return -1;
                }
            }
        }

        long chargeAt(int slot) {
            return charges.get(slot);
        }

        int accountAt(int slot) {
            return accounts.get(slot);
        }
    }
}
