package ai.qubittron.bastion.core.auth;

import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;

/**
 * An {@link ApiKeyStore} in memory, for one gateway node: keys are held only as SHA-256 hashes, looked
 * up in a concurrent map, and answered synchronously. Thread-safe and lock-free for readers.
 */
public final class InMemoryApiKeyStore implements ApiKeyStore {

    private static final CompletionStage<Optional<ApiPrincipal>> UNKNOWN =
            CompletableFuture.completedFuture(Optional.empty());

    private final ConcurrentMap<ApiKeyHash, CompletionStage<Optional<ApiPrincipal>>> keys = new ConcurrentHashMap<>();

    /** Creates a new random key for the principal and returns it; the store keeps only its hash. */
    public String create(ApiPrincipal principal) {
        String key = ApiKeyHash.newKey();
        add(key, principal);
        return key;
    }

    /** Adds a key the caller chose (e.g. a demo key from the command line); it must start with {@code qbt_}. */
    public void add(String key, ApiPrincipal principal) {
        if (key == null || !key.startsWith(ApiKeyHash.KEY_PREFIX) || key.length() < ApiKeyHash.KEY_PREFIX.length() + 8) {
            throw new IllegalArgumentException("key: must start with " + ApiKeyHash.KEY_PREFIX
                    + " and have at least 8 more characters");
        }
        addHash(ApiKeyHash.of(key), principal);
    }

    /** Adds a key known only by its hash (e.g. loaded from a file of hashes). */
    public void addHash(ApiKeyHash hash, ApiPrincipal principal) {
        keys.put(hash, CompletableFuture.completedFuture(Optional.of(principal)));
    }

    /** Revokes the key with this hash; effective for the next request. */
    public boolean revoke(ApiKeyHash hash) {
        return keys.remove(hash) != null;
    }

    /**
     * Revokes the key with this public id; effective for the next request. A scan of all keys: an
     * administrative operation, not for the request path.
     */
    public boolean revokeById(String keyId) {
        return keys.values().removeIf(stage -> stage.toCompletableFuture().join()
                .map(principal -> principal.keyId().equals(keyId)).orElse(false));
    }

    /** The stored key hashes in hexadecimal; for audits and the contract test (no key is ever stored). */
    public Set<String> storedHashes() {
        return keys.keySet().stream().map(ApiKeyHash::toHex).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public CompletionStage<Optional<ApiPrincipal>> authenticate(String presentedKey) {
        if (presentedKey == null || !presentedKey.startsWith(ApiKeyHash.KEY_PREFIX)) {
            return UNKNOWN;
        }
        return keys.getOrDefault(ApiKeyHash.of(presentedKey), UNKNOWN);
    }
}
