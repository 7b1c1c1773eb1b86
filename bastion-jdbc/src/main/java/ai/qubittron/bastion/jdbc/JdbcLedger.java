package ai.qubittron.bastion.jdbc;

import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A {@link Ledger} in PostgreSQL, shared by every gateway node that uses the same database; the SPI
 * contract tests pass unchanged.
 *
 * <ul>
 *   <li><b>Balances change only by conditional updates</b>, each one statement: a reservation adds to
 *       {@code reserved_micros} only {@code WHERE balance_micros - reserved_micros >= amount}, so racing
 *       nodes never together reserve more than the balance, and the table's checks
 *       ({@code 0 <= reserved <= balance}) make a balance below zero impossible whatever the code does.</li>
 *   <li><b>A journal keyed by request id</b> ({@code bastion_ledger_journal}) records every reservation and
 *       its end in the same statement as the balance change. A request id is reserved at most once (its
 *       primary key), and settled at most once: a settle moves its row from {@code reserved} to
 *       {@code settled} under the row's lock, so a repeat, racing or late, finds it settled and answers
 *       the first outcome.</li>
 *   <li><b>Reservations of a crashed node expire.</b> A reservation not settled within its TTL (default
 *       1 hour, longer than any request) is released by a sweeper that runs on every node
 *       ({@code FOR UPDATE SKIP LOCKED}, so nodes never contend), and marked {@code expired}. A node that
 *       was only slow and settles it later is still charged, up to what the account has.</li>
 * </ul>
 *
 * Times come from the backend's clock. Thread role: any thread; the {@link Ledger} methods run their
 * statements on the backend's executor, never on the caller's thread; the administration methods
 * ({@link #open}, {@link #credit}, {@link #tier}, {@link #accounts}, {@link #releaseExpired}) block on the
 * calling thread.
 * Made by {@link PostgresBackend#ledger()}, which owns its connections and its sweeper.
 */
public final class JdbcLedger implements Ledger {

    private static final Logger LOG = Logger.getLogger(JdbcLedger.class.getName());
    private static final int SWEEP_BATCH = 1000;

    private static final String RESERVE = """
            WITH account AS (
              UPDATE bastion_accounts SET reserved_micros = reserved_micros + ?
              WHERE account_id = ? AND balance_micros - reserved_micros >= ?
                AND NOT EXISTS (SELECT 1 FROM bastion_ledger_journal WHERE request_id = ?)
              RETURNING balance_micros - reserved_micros AS available
            ), journal AS (
              INSERT INTO bastion_ledger_journal (request_id, account_id, reserved_micros, state, reserved_at, expires_at)
              SELECT ?, ?, ?, 'reserved', ?, ? FROM account
            )
            SELECT available FROM account""";

    private static final String AVAILABLE = "SELECT balance_micros - reserved_micros FROM bastion_accounts WHERE account_id = ?";

    private static final String SETTLE = """
            WITH journal AS (
              UPDATE bastion_ledger_journal SET state = 'settled', charged_micros = LEAST(?, reserved_micros), ended_at = ?
              WHERE request_id = ? AND account_id = ? AND state = 'reserved'
              RETURNING reserved_micros, charged_micros
            ), account AS (
              UPDATE bastion_accounts SET reserved_micros = bastion_accounts.reserved_micros - journal.reserved_micros,
                balance_micros = balance_micros - journal.charged_micros, spent_micros = spent_micros + journal.charged_micros
              FROM journal WHERE account_id = ?
            )
            SELECT charged_micros FROM journal""";

    /** A reservation the sweeper released, settled after all: charged what the account still has. */
    private static final String SETTLE_EXPIRED = """
            WITH journal AS (
              UPDATE bastion_ledger_journal SET state = 'settled', ended_at = ?, charged_micros = LEAST(?, reserved_micros,
                (SELECT balance_micros - reserved_micros FROM bastion_accounts WHERE account_id = ?))
              WHERE request_id = ? AND account_id = ? AND state = 'expired'
              RETURNING charged_micros
            ), account AS (
              UPDATE bastion_accounts SET balance_micros = balance_micros - journal.charged_micros,
                spent_micros = spent_micros + journal.charged_micros
              FROM journal WHERE account_id = ?
            )
            SELECT charged_micros FROM journal""";

    private static final String OUTCOME =
            "SELECT state, charged_micros FROM bastion_ledger_journal WHERE request_id = ? AND account_id = ?";

    private static final String SWEEP = """
            WITH expired AS (
              UPDATE bastion_ledger_journal SET state = 'expired', charged_micros = 0, ended_at = ?
              WHERE request_id IN (SELECT request_id FROM bastion_ledger_journal
                                   WHERE state = 'reserved' AND expires_at < ?
                                   ORDER BY expires_at LIMIT %d FOR UPDATE SKIP LOCKED)
              RETURNING account_id, reserved_micros
            )
            UPDATE bastion_accounts SET reserved_micros = bastion_accounts.reserved_micros - held.total
            FROM (SELECT account_id, sum(reserved_micros) AS total FROM expired GROUP BY account_id) held
            WHERE bastion_accounts.account_id = held.account_id""".formatted(SWEEP_BATCH);

    private final PostgresBackend backend;
    private final Clock clock;
    private final Duration ttl;
    private ScheduledExecutorService sweeper;

    JdbcLedger(PostgresBackend backend, Clock clock, Duration ttl) {
        this.backend = backend;
        this.clock = clock;
        this.ttl = ttl;
    }

    @Override
    public CompletionStage<Reservation> reserve(String accountId, String requestId, long amountMicros) {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(requestId, "requestId");
        if (amountMicros < 0) {
            throw new IllegalArgumentException("amountMicros: must be >= 0, got " + amountMicros);
        }
        OffsetDateTime now = now();
        OffsetDateTime expires = now.plus(ttl);
        return backend.submit(c -> {
            try (PreparedStatement s = c.prepareStatement(RESERVE)) {
                s.setLong(1, amountMicros);
                s.setString(2, accountId);
                s.setLong(3, amountMicros);
                s.setString(4, requestId);
                s.setString(5, requestId);
                s.setString(6, accountId);
                s.setLong(7, amountMicros);
                s.setObject(8, now);
                s.setObject(9, expires);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        return new Reservation(true, amountMicros, r.getLong(1));
                    }
                }
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState())) {
                    throw e;
                }
                // the same request id reserved by a racing call: this one is refused, nothing changed
            }
            return new Reservation(false, amountMicros, available(c, accountId));
        });
    }

    private static long available(Connection c, String accountId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(AVAILABLE)) {
            s.setString(1, accountId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Math.max(0, r.getLong(1)) : 0;
            }
        }
    }

    @Override
    public CompletionStage<Settlement> settle(String accountId, String requestId, long actualMicros) {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(requestId, "requestId");
        if (actualMicros < 0) {
            throw new IllegalArgumentException("actualMicros: must be >= 0, got " + actualMicros);
        }
        OffsetDateTime now = now();
        return backend.submit(c -> {
            try (PreparedStatement s = c.prepareStatement(SETTLE)) {
                s.setLong(1, actualMicros);
                s.setObject(2, now);
                s.setString(3, requestId);
                s.setString(4, accountId);
                s.setString(5, accountId);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        return new Settlement(requestId, r.getLong(1), true);
                    }
                }
            }
            return ended(c, accountId, requestId, actualMicros, now);
        });
    }

    /** A settle that found no reservation held: the first outcome, a late charge, or nothing. */
    private Settlement ended(Connection c, String accountId, String requestId, long actualMicros, OffsetDateTime now)
            throws SQLException {
        String state;
        long charged;
        try (PreparedStatement s = c.prepareStatement(OUTCOME)) {
            s.setString(1, requestId);
            s.setString(2, accountId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    // never reserved (or refused): nothing to charge
                    return new Settlement(requestId, 0, false);
                }
                state = r.getString(1);
                charged = r.getLong(2);
            }
        }
        if (!state.equals("expired")) {
            return new Settlement(requestId, charged, false);
        }
        try (PreparedStatement s = c.prepareStatement(SETTLE_EXPIRED)) {
            s.setObject(1, now);
            s.setLong(2, actualMicros);
            s.setString(3, accountId);
            s.setString(4, requestId);
            s.setString(5, accountId);
            s.setString(6, accountId);
            try (ResultSet r = s.executeQuery()) {
                if (r.next()) {
                    LOG.log(Level.WARNING, "request " + requestId + " of account " + accountId
                            + " was settled after its reservation had expired; charged " + r.getLong(1));
                    return new Settlement(requestId, r.getLong(1), true);
                }
            }
        }
        // a racing settle of the same expired reservation won: its outcome
        return ended(c, accountId, requestId, actualMicros, now);
    }

    @Override
    public CompletionStage<AccountBalance> balance(String accountId) {
        Objects.requireNonNull(accountId, "accountId");
        return backend.submit(c -> balance(c, accountId));
    }

    private static AccountBalance balance(Connection c, String accountId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT balance_micros, reserved_micros, spent_micros FROM bastion_accounts WHERE account_id = ?")) {
            s.setString(1, accountId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new AccountBalance(accountId, r.getLong(1), r.getLong(2), r.getLong(3))
                        : new AccountBalance(accountId, 0, 0, 0);
            }
        }
    }

    /**
     * Opens an account with {@code balanceMicros} of credit, unless it exists (blocking: set-up and
     * administration, not the request path), in the default tier.
     *
     * @param accountId     the account's id
     * @param balanceMicros its initial credit, {@code >= 0}
     * @return whether it was opened ({@code false}: it existed, and is unchanged)
     */
    public boolean open(String accountId, long balanceMicros) {
        return open(accountId, balanceMicros, ApiPrincipal.DEFAULT_TIER);
    }

    /**
     * As {@link #open(String, long)}, in the given tier (what the admin API reports of the account).
     *
     * @param accountId     the account's id
     * @param balanceMicros its initial credit, {@code >= 0}
     * @param tier          its tier name
     * @return whether it was opened ({@code false}: it existed, and is unchanged)
     */
    public boolean open(String accountId, long balanceMicros, String tier) {
        if (balanceMicros < 0) {
            throw new IllegalArgumentException("balanceMicros: must be >= 0, got " + balanceMicros);
        }
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO bastion_accounts (account_id, balance_micros, tier) "
                    + "VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                s.setString(1, Objects.requireNonNull(accountId, "accountId"));
                s.setLong(2, balanceMicros);
                s.setString(3, Objects.requireNonNull(tier, "tier"));
                return s.executeUpdate() == 1;
            }
        });
    }

    /**
     * {@return the account's tier, or empty when there is no such account} Blocking.
     *
     * @param accountId the account's id
     */
    public Optional<String> tier(String accountId) {
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT tier FROM bastion_accounts WHERE account_id = ?")) {
                s.setString(1, Objects.requireNonNull(accountId, "accountId"));
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
                }
            }
        });
    }

    /**
     * An account as {@link #accounts()} lists it.
     *
     * @param tier    its tier name
     * @param balance its totals
     */
    public record Account(String tier, AccountBalance balance) {
    }

    /**
     * {@return every account with its tier and totals, sorted by id (in code-point order, as Java sorts
     * strings)} Blocking; an administrative scan of the table, not for the request path.
     */
    public List<Account> accounts() {
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT account_id, tier, balance_micros, reserved_micros, "
                    + "spent_micros FROM bastion_accounts ORDER BY account_id COLLATE \"C\"")) {
                List<Account> accounts = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        accounts.add(new Account(r.getString(2),
                                new AccountBalance(r.getString(1), r.getLong(3), r.getLong(4), r.getLong(5))));
                    }
                }
                return accounts;
            }
        });
    }

    /**
     * Adds credit to an account; effective for the next reservation on any node. Blocking.
     *
     * @param accountId    the account's id
     * @param amountMicros the credit to add, {@code >= 0}
     * @return its totals after
     * @throws IllegalArgumentException when there is no such account, or the amount is negative
     */
    public AccountBalance credit(String accountId, long amountMicros) {
        if (amountMicros < 0) {
            throw new IllegalArgumentException("amountMicros: must be >= 0, got " + amountMicros);
        }
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE bastion_accounts SET balance_micros = balance_micros + ? WHERE account_id = ?")) {
                s.setLong(1, amountMicros);
                s.setString(2, accountId);
                if (s.executeUpdate() != 1) {
                    throw new IllegalArgumentException("no account '" + accountId + "'");
                }
            }
            return balance(c, accountId);
        });
    }

    /**
     * Releases reservations held past their TTL (their node is gone), at most {@value #SWEEP_BATCH} at a
     * time; the sweeper calls it, and tests. Blocking.
     *
     * @return how many accounts got credit back
     */
    public int releaseExpired() {
        OffsetDateTime now = now();
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement(SWEEP)) {
                s.setObject(1, now);
                s.setObject(2, now);
                return s.executeUpdate();
            }
        });
    }

    void startSweeper() {
        long period = Math.max(1_000, Math.min(ttl.toMillis() / 4, 30_000));
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bastion-jdbc-sweeper");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                releaseExpired();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "could not release expired reservations (the database may be down)", e);
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    void stopSweeper() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }

    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
