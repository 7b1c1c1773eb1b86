package ai.qubittron.bastion.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.auth.StoredKey;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.tck.MutableClock;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the admin API lists from PostgreSQL: accounts by id, keys newest first with their prefix, never a key. */
class JdbcListingTest {

    private final MutableClock clock = new MutableClock(1_740_000_000_000L);
    private final String schema = PostgresTesting.freshSchema();
    private PostgresBackend backend;

    @BeforeEach
    void start() {
        backend = PostgresBackend.connect(PostgresTesting.URL, PostgresBackend.Options.defaults().withSchema(schema)
                .withClock(clock));
    }

    @AfterEach
    void stop() {
        backend.close();
        PostgresTesting.drop(schema);
    }

    @Test
    void accountsAreListedByIdWithTheirTierAndTotals() {
        JdbcLedger ledger = backend.ledger();
        ledger.open("b", 20, "pro");
        ledger.open("a-2", 10);
        ledger.open("A", 5, "free");
        ledger.reserve("b", "r1", 7).toCompletableFuture().join();
        ledger.settle("b", "r1", 3).toCompletableFuture().join();

        // code-point order, whatever the database's collation: upper case first
        assertThat(ledger.accounts()).containsExactly(
                new JdbcLedger.Account("free", new AccountBalance("A", 5, 0, 0)),
                new JdbcLedger.Account("default", new AccountBalance("a-2", 10, 0, 0)),
                new JdbcLedger.Account("pro", new AccountBalance("b", 17, 0, 3)));
    }

    @Test
    void keysAreListedNewestFirstWithTheirPrefixAndRevocation() throws Exception {
        JdbcApiKeyStore keys = backend.keyStore();
        String first = keys.create(new ApiPrincipal("key_1", "acct", "free", Set.of()));
        clock.advance(Duration.ofSeconds(5));
        keys.addHash(ApiKeyHash.of("qbt_hashonly_0123456789"), new ApiPrincipal("key_2", "acct", "free", Set.of()));
        clock.advance(Duration.ofSeconds(5));
        keys.add("qbt_other_0123456789", new ApiPrincipal("key_3", "other", "pro", Set.of()));
        clock.advance(Duration.ofSeconds(5));
        assertThat(keys.revoke("key_1")).isTrue();

        assertThat(keys.keys()).containsExactly(
                new StoredKey("key_3", "qbt_other_01", "other", "pro", Instant.ofEpochSecond(1_740_000_010L), null),
                new StoredKey("key_2", null, "acct", "free", Instant.ofEpochSecond(1_740_000_005L), null),
                new StoredKey("key_1", first.substring(0, 12), "acct", "free", Instant.ofEpochSecond(1_740_000_000L),
                        Instant.ofEpochSecond(1_740_000_015L)));
        assertThat(keys.keys("acct")).extracting(StoredKey::keyId).containsExactly("key_2", "key_1");
        assertThat(keys.keys("nobody")).isEmpty();

        // the table holds the prefix and the hash, never the key
        try (Connection c = DriverManager.getConnection(PostgresTesting.URL); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT * FROM " + schema + ".bastion_api_keys")) {
            int columns = r.getMetaData().getColumnCount();
            while (r.next()) {
                for (int i = 1; i <= columns; i++) {
                    assertThat(String.valueOf(r.getObject(i))).doesNotContain(first);
                }
            }
        }
    }
}
