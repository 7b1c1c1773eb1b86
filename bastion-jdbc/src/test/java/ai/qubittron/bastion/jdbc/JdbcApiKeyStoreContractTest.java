package ai.qubittron.bastion.jdbc;

import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.tck.ApiKeyStoreContractTest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;

/** The SPI contract, unchanged, against PostgreSQL. */
class JdbcApiKeyStoreContractTest extends ApiKeyStoreContractTest {

    private PostgresBackend backend;
    private String schema;

    @Override
    protected ApiKeyStore newStore() {
        backend = PostgresBackend.connect(PostgresTesting.URL, PostgresBackend.Options.defaults()
                .withSchema(schema = PostgresTesting.freshSchema()));
        return backend.keyStore();
    }

    @Override
    protected void register(ApiKeyStore store, String key, ApiPrincipal principal) {
        ((JdbcApiKeyStore) store).add(key, principal);
    }

    @Override
    protected void revoke(ApiKeyStore store, String keyId) {
        ((JdbcApiKeyStore) store).revoke(keyId);
    }

    @Override
    protected Set<String> storedForms(ApiKeyStore store) {
        return backend.call(c -> {
            Set<String> forms = new HashSet<>();
            try (PreparedStatement s = c.prepareStatement("SELECT key_id, key_hash, account_id, tier FROM bastion_api_keys");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    for (int i = 1; i <= 4; i++) {
                        forms.add(r.getString(i));
                    }
                }
            }
            return forms;
        });
    }

    @AfterEach
    void close() {
        backend.close();
        PostgresTesting.drop(schema);
    }
}
