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
 * up in a concurrent map, and answered synchronously. A presented token that is not a {@code qbt_} key
 * is refused without hashing. It is the gateway's key store when none is given or discovered; it starts
 * empty.
 *
 * <p>Thread-safe: any thread may add or revoke while event loops authenticate (lock-free for readers);
 * a change applies to the next lookup.
 */
public final class InMemoryApiKeyStore implements ApiKeyStore {

    private static final CompletionStage<Optional<ApiPrincipal>> UNKNOWN =
            CompletableFuture.completedFuture(Optional.empty());

    private final ConcurrentMap<ApiKeyHash, CompletionStage<Optional<ApiPrincipal>>> keys = new ConcurrentHashMap<>();

    /**
     * Creates a new random key for the principal; the store keeps only its hash.
     *
     * @param principal who the key resolves to
     * @return the key, which is not kept and cannot be shown again
     */
    public String create(ApiPrincipal principal) {
        String key = ApiKeyHash.newKey();
        add(key, principal);
        return key;
    }

    /**
     * Adds a key the caller chose (e.g. a demo key from the command line). A key added again replaces
     * the principal it resolves to.
     *
     * @param key       the key: {@code qbt_} and at least 8 more characters
     * @param principal who the key resolves to
     * @throws IllegalArgumentException when the key does not have that form
     */
    public void add(String key, ApiPrincipal principal) {
        if (key == null || !key.startsWith(ApiKeyHash.KEY_PREFIX) || key.length() < ApiKeyHash.KEY_PREFIX.length() + 8) {
            throw new IllegalArgumentException("key: must start with " + ApiKeyHash.KEY_PREFIX
                    + " and have at least 8 more characters");
        }
        addHash(ApiKeyHash.of(key), principal);
    }

    /**
     * Adds a key known only by its hash (e.g. loaded from a file of hashes); replaces an earlier one.
     *
     * @param hash      the key's hash
     * @param principal who the key resolves to
     */
    public void addHash(ApiKeyHash hash, ApiPrincipal principal) {
        keys.put(hash, CompletableFuture.completedFuture(Optional.of(principal)));
    }

    /**
     * Revokes the key with this hash; effective for the next request.
     *
     * @param hash the key's hash
     * @return whether there was such a key
     */
    public boolean revoke(ApiKeyHash hash) {
        return keys.remove(hash) != null;
    }

    /**
     * Revokes the key with this public id; effective for the next request. A scan of all keys: an
     * administrative operation, not for the request path.
     *
     * @param keyId the key's public id ({@link ApiPrincipal#keyId()})
     * @return whether a key was revoked (every key with that id is)
     */
    public boolean revokeById(String keyId) {
        return keys.values().removeIf(stage -> stage.toCompletableFuture().join()
                .map(principal -> principal.keyId().equals(keyId)).orElse(false));
    }

    /**
     * {@return the stored key hashes in hexadecimal, a copy; for audits and the contract test (no key is ever
     * stored)}
     */
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
