package ai.qubittron.bastion.jdbc;

import ai.qubittron.bastion.spi.BackendUnavailableException;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.auth.StoredKey;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * An {@link ApiKeyStore} in PostgreSQL ({@code bastion_api_keys}), shared by every gateway node that uses
 * the same database: a key created or revoked on one node is known to all at their next lookup. Only the
 * SHA-256 of each key is stored ({@link ApiKeyHash}), with its first
 * {@value ApiKeyHash#DISPLAY_PREFIX_LENGTH} characters ({@code key_prefix}) when it was given whole, for
 * the admin API's listing; a key is never logged.
 *
 * <p>Each lookup is one indexed query on the backend's executor. A presented token that is not a
 * {@code qbt_} key is refused without asking the database. Thread role: any thread;
 * {@link #authenticate} never blocks, the administration methods block on the calling thread. Made by
 * {@link PostgresBackend#keyStore()}, which owns its connections.
 */
public final class JdbcApiKeyStore implements ApiKeyStore {

    private final PostgresBackend backend;
    private final Clock clock;

    JdbcApiKeyStore(PostgresBackend backend, Clock clock) {
        this.backend = backend;
        this.clock = clock;
    }

    @Override
    public CompletionStage<Optional<ApiPrincipal>> authenticate(String presentedKey) {
        if (presentedKey == null || !presentedKey.startsWith(ApiKeyHash.KEY_PREFIX)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        String hash = ApiKeyHash.of(presentedKey).toHex();
        return backend.submit(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT key_id, account_id, tier, allowed_models "
                    + "FROM bastion_api_keys WHERE key_hash = ? AND revoked_at IS NULL")) {
                s.setString(1, hash);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return Optional.empty();
                    }
                    Array models = r.getArray(4);
                    // (a row edited by hand may repeat a model, or hold a null)
                    Set<String> allowed = Arrays.stream((String[]) models.getArray()).filter(Objects::nonNull)
                            .collect(Collectors.toUnmodifiableSet());
                    return Optional.of(new ApiPrincipal(r.getString(1), r.getString(2), r.getString(3), allowed));
                }
            }
        });
    }

    /**
     * Creates a new random key for the principal: the only time it is seen. Blocking.
     *
     * @param principal who the key resolves to; its {@code keyId} must be new
     * @return the key
     * @throws IllegalStateException       when a key with this id exists already
     * @throws BackendUnavailableException when the database cannot be reached
     */
    public String create(ApiPrincipal principal) {
        String key = ApiKeyHash.newKey();
        if (!add(key, principal)) {
            // never hand out a key that was not stored
            throw new IllegalStateException("a key with the id '" + principal.keyId() + "' exists already");
        }
        return key;
    }

    /**
     * Registers a key the caller chose (a demo key, an import). Blocking.
     *
     * @param key       the key as clients will present it
     * @param principal who the key resolves to
     * @return {@code false} when a key with this id exists already (nothing is changed)
     */
    public boolean add(String key, ApiPrincipal principal) {
        return insert(ApiKeyHash.of(Objects.requireNonNull(key, "key")), principal, ApiKeyHash.displayPrefix(key));
    }

    /**
     * Registers a key by its hash alone (a key from a configuration file, which holds only hashes). Blocking.
     * A key id that exists already keeps its row as it is: a revoked key stays revoked.
     *
     * @param keyHash   the SHA-256 of the key clients will present
     * @param principal who the key resolves to
     * @return {@code false} when a key with this id exists already (nothing is changed)
     */
    public boolean addHash(ApiKeyHash keyHash, ApiPrincipal principal) {
        return insert(keyHash, principal, null);
    }

    private boolean insert(ApiKeyHash keyHash, ApiPrincipal principal, String prefix) {
        Objects.requireNonNull(principal, "principal");
        String hash = Objects.requireNonNull(keyHash, "keyHash").toHex();
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO bastion_api_keys "
                    + "(key_id, key_hash, account_id, tier, allowed_models, created_at, key_prefix) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING")) {
                s.setString(1, principal.keyId());
                s.setString(2, hash);
                s.setString(3, principal.accountId());
                s.setString(4, principal.tier());
                s.setArray(5, c.createArrayOf("text", principal.allowedModels().toArray()));
                s.setObject(6, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC));
                s.setString(7, prefix);
                return s.executeUpdate() == 1;
            }
        });
    }

    /**
     * {@return every key, revoked ones included, newest first} Never the key or its hash. Blocking; an
     * administrative scan of the table, not for the request path.
     *
     * @throws BackendUnavailableException when the database cannot be reached
     */
    public List<StoredKey> keys() {
        return list(null);
    }

    /**
     * {@return one account's keys, revoked ones included, newest first} Blocking.
     *
     * @param accountId the account
     * @throws BackendUnavailableException when the database cannot be reached
     */
    public List<StoredKey> keys(String accountId) {
        return list(Objects.requireNonNull(accountId, "accountId"));
    }

    private List<StoredKey> list(String accountId) {
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT key_id, key_prefix, account_id, tier, created_at, revoked_at "
                    + "FROM bastion_api_keys" + (accountId == null ? "" : " WHERE account_id = ?")
                    + " ORDER BY created_at DESC, key_id COLLATE \"C\"")) {
                if (accountId != null) {
                    s.setString(1, accountId);
                }
                List<StoredKey> keys = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        keys.add(new StoredKey(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                                instant(r, 5), instant(r, 6)));
                    }
                }
                return keys;
            }
        });
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime at = r.getObject(column, OffsetDateTime.class);
        return at == null ? null : at.toInstant();
    }

    /**
     * Revokes a key by its public id; every node stops accepting it at its next lookup (a node with a
     * {@code CachingApiKeyStore} in front also needs the announcement). Blocking.
     *
     * @param keyId the key's public id
     * @return {@code false} when there is no such key, or it was revoked already
     */
    public boolean revoke(String keyId) {
        return backend.call(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE bastion_api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL")) {
                s.setObject(1, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC));
                s.setString(2, Objects.requireNonNull(keyId, "keyId"));
                return s.executeUpdate() == 1;
            }
        });
    }
}
