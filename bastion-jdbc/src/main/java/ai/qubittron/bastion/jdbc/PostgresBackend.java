package ai.qubittron.bastion.jdbc;

import ai.qubittron.bastion.spi.BackendUnavailableException;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;

/**
 * A PostgreSQL database shared by several gateway nodes: it holds the {@link JdbcLedger} and the
 * {@link JdbcApiKeyStore}. One pool of connections (HikariCP) and one bounded executor for all their
 * statements, so that no gateway event loop ever waits on the database.
 *
 * <p>On {@link #connect}, the schema is created or migrated by the module's versioned SQL
 * ({@code migration/V<n>__….sql}, applied by Flyway under a database lock, so nodes starting together
 * migrate it once).
 *
 * <p><b>Failures.</b> A statement that cannot get a connection within the connect timeout (the
 * database is down), fails, or finds the executor's queue full completes its stage exceptionally: the
 * gateway answers 503 {@code service_unavailable} and lets nothing through unmetered. The pool makes new
 * connections by itself when the database is back.
 *
 * <p>Thread role: any thread. Ownership: {@link #close} stops the executor and closes the pool.
 */
public final class PostgresBackend implements AutoCloseable {

    /**
     * The settings of a backend; {@link #defaults()} suits one gateway node. Immutable; the
     * {@code with…} methods return a changed copy.
     *
     * @param schema         the schema of Bastion's tables (created if missing), or {@code null} for the
     *                       connection's own (the URL's {@code currentSchema}, else {@code public})
     * @param poolSize       connections in the pool, and threads running statements; default 8
     * @param queueCapacity  statements that may wait for a thread; past it a statement fails at once;
     *                       default 4,096
     * @param connectTimeout the longest wait for a pooled connection (at least 250 ms); default 1 s
     * @param reservationTtl how long a reservation may stay held before the sweeper releases it; default
     *                       1 hour, longer than any request
     * @param clock          the clock of reservation times and key dates; default the system UTC clock
     */
    public record Options(String schema, int poolSize, int queueCapacity, Duration connectTimeout,
                          Duration reservationTtl, Clock clock) {

        /**
         * Validates.
         *
         * @param schema         the tables' schema, or {@code null}
         * @param poolSize       connections and threads, {@code >= 1}
         * @param queueCapacity  waiting statements, {@code >= 1}
         * @param connectTimeout the wait for a connection
         * @param reservationTtl the life of an unsettled reservation
         * @param clock          the clock
         * @throws IllegalArgumentException when a size is below 1, or a duration is not positive
         */
        public Options {
            if (poolSize < 1 || queueCapacity < 1) {
                throw new IllegalArgumentException("poolSize and queueCapacity must be >= 1, got " + poolSize + " and "
                        + queueCapacity);
            }
            if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout: must be positive, got " + connectTimeout);
            }
            // a zero TTL would let the sweeper release reservations of requests still running
            if (reservationTtl == null || reservationTtl.isNegative() || reservationTtl.isZero()) {
                throw new IllegalArgumentException("reservationTtl: must be positive, got " + reservationTtl);
            }
            Objects.requireNonNull(clock, "clock");
        }

        /**
         * The connection's schema, 8 connections and threads, 4,096 statements queued at most, 1 s to get a
         * connection, reservations released 1 hour after they were made if their node never settles
         * them, the system clock.
         *
         * @return the default options
         */
        public static Options defaults() {
            return new Options(null, 8, 4096, Duration.ofSeconds(1), Duration.ofHours(1), Clock.systemUTC());
        }

        /**
         * {@return these options with another schema}
         *
         * @param schema the tables' schema, or {@code null} for the connection's own
         */
        public Options withSchema(String schema) {
            return new Options(schema, poolSize, queueCapacity, connectTimeout, reservationTtl, clock);
        }

        /**
         * {@return these options with another clock}
         *
         * @param clock the clock of reservation times and key dates (tests move it)
         */
        public Options withClock(Clock clock) {
            return new Options(schema, poolSize, queueCapacity, connectTimeout, reservationTtl, clock);
        }

        /**
         * {@return these options with another reservation TTL}
         *
         * @param ttl how long a reservation may stay held before the sweeper releases it
         */
        public Options withReservationTtl(Duration ttl) {
            return new Options(schema, poolSize, queueCapacity, connectTimeout, ttl, clock);
        }

        /**
         * {@return these options with another connect timeout}
         *
         * @param timeout the longest wait for a pooled connection (at least 250 ms is used)
         */
        public Options withConnectTimeout(Duration timeout) {
            return new Options(schema, poolSize, queueCapacity, timeout, reservationTtl, clock);
        }

        /**
         * {@return these options with another pool size}
         *
         * @param poolSize connections and threads, {@code >= 1}
         */
        public Options withPoolSize(int poolSize) {
            return new Options(schema, poolSize, queueCapacity, connectTimeout, reservationTtl, clock);
        }
    }

    private final HikariDataSource pool;
    private final ThreadPoolExecutor executor;
    private final JdbcLedger ledger;
    private final JdbcApiKeyStore keyStore;

    private PostgresBackend(HikariDataSource pool, ThreadPoolExecutor executor, Options options) {
        this.pool = pool;
        this.executor = executor;
        this.ledger = new JdbcLedger(this, options.clock(), options.reservationTtl());
        this.keyStore = new JdbcApiKeyStore(this, options.clock());
    }

    /**
     * Connects with {@link Options#defaults()}; see {@link #connect(String, Options)}.
     *
     * @param jdbcUrl e.g. {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
     * @return the connected backend, which the caller closes
     */
    public static PostgresBackend connect(String jdbcUrl) {
        return connect(jdbcUrl, Options.defaults());
    }

    /**
     * Connects (blocking, once, at start-up) and migrates the schema.
     *
     * @param jdbcUrl e.g. {@code jdbc:postgresql://127.0.0.1:5432/test}; user and password in it or in the
     *                environment's {@code PGUSER}/{@code PGPASSWORD} as the driver reads them
     * @param options the pool, queue, timeouts and clock
     * @return the connected backend, with its sweeper of expired reservations running; the caller closes it
     * @throws IllegalStateException when the database cannot be reached or migrated
     */
    public static PostgresBackend connect(String jdbcUrl, Options options) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(Objects.requireNonNull(jdbcUrl, "jdbcUrl"));
        config.setPoolName("bastion-jdbc");
        config.setMaximumPoolSize(options.poolSize());
        config.setMinimumIdle(Math.min(2, options.poolSize()));
        config.setConnectionTimeout(Math.max(250, options.connectTimeout().toMillis()));
        config.setValidationTimeout(Math.max(250, options.connectTimeout().toMillis()));
        if (options.schema() != null) {
            config.setSchema(options.schema());
        }
        config.setAutoCommit(true);
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, options.connectTimeout().toSeconds())));
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to " + redact(jdbcUrl) + ": " + e.getMessage(), e);
        }
        try {
            var flyway = Flyway.configure().dataSource(pool).locations("classpath:ai/qubittron/bastion/jdbc/migration")
                    .table("bastion_schema_history");
            if (options.schema() != null) {
                flyway.schemas(options.schema()).defaultSchema(options.schema()).createSchemas(true);
            }
            flyway.load().migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new IllegalStateException("cannot migrate the schema of " + redact(jdbcUrl) + ": " + e.getMessage(), e);
        }
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(options.poolSize(), options.poolSize(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(options.queueCapacity()), r -> {
                    Thread t = new Thread(r, "bastion-jdbc-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        PostgresBackend backend = new PostgresBackend(pool, executor, options);
        backend.ledger.startSweeper();
        return backend;
    }

    /** {@return the ledger of this database (one per backend, closed with it)} */
    public JdbcLedger ledger() {
        return ledger;
    }

    /** {@return the key store of this database (one per backend, closed with it)} */
    public JdbcApiKeyStore keyStore() {
        return keyStore;
    }

    /** A unit of work on one connection, run on the executor. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Runs {@code work} on the executor with a pooled connection; never blocks the caller. */
    <T> CompletableFuture<T> submit(Work<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try (Connection connection = pool.getConnection()) {
                    result.complete(work.run(connection));
                } catch (SQLException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new SQLException("too many statements waiting for the database", e));
        }
        return result;
    }

    /**
     * A JDBC URL fit for a log or an error message: its password (a {@code password=} parameter, or the
     * password of a {@code user:password@} part) replaced by {@code ***}.
     *
     * @param jdbcUrl the URL as configured
     * @return the URL without its password
     */
    public static String redact(String jdbcUrl) {
        if (jdbcUrl == null) {
            return null;
        }
        return jdbcUrl.replaceAll("(?i)([?&;]password=)[^&;]*", "$1***").replaceAll("(//[^/@:]*):[^/@]*@", "$1:***@");
    }

    /**
     * Runs {@code work} on the calling thread (start-up, administration, tests).
     *
     * @throws BackendUnavailableException when the database fails or cannot be reached
     */
    <T> T call(Work<T> work) {
        try (Connection connection = pool.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw new BackendUnavailableException("PostgreSQL: " + e.getMessage(), e);
        }
    }

    /**
     * Stops the sweeper, lets queued statements finish for up to 5 s, then closes the pool; statements
     * submitted after that fail. Close it after the gateway that uses it.
     */
    @Override
    public void close() {
        ledger.stopSweeper();
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
    }
}
