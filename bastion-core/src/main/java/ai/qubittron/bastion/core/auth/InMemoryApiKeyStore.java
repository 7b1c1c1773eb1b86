package ai.qubittron.bastion.core.auth;

import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.auth.StoredKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * An {@link ApiKeyStore} in memory, for one gateway node: keys are held only as SHA-256 hashes, looked
 * up in a concurrent map, and answered synchronously. A presented token that is not a {@code qbt_} key
 * is refused without hashing. It is the gateway's key store when none is given or discovered; it starts
 * empty.
 *
 * <p>Beside each hash it keeps what the admin API lists of the key ({@link #keys()}): its id, account,
 * tier, creation time, its first {@value ApiKeyHash#DISPLAY_PREFIX_LENGTH} characters when it was given
 * whole (never the rest), and, once revoked, when. A revoked key's listing stays (its hash does not).
 *
 * <p>Thread-safe: any thread may add or revoke while event loops authenticate (lock-free for readers);
 * a change applies to the next lookup.
 */
public final class InMemoryApiKeyStore implements ApiKeyStore {

    private static final CompletionStage<Optional<ApiPrincipal>> UNKNOWN =
            CompletableFuture.completedFuture(Optional.empty());
    /** Newest first; keys made in the same millisecond, the later one first. */
    private static final Comparator<Listing> NEWEST_FIRST = Comparator.comparing((Listing l) -> l.key.createdAt())
            .thenComparingLong(l -> l.sequence).reversed();

    private final ConcurrentMap<ApiKeyHash, CompletionStage<Optional<ApiPrincipal>>> keys = new ConcurrentHashMap<>();
    /** What is listed of each key id, revoked ones included. */
    private final ConcurrentMap<String, Listing> listings = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Clock clock;

    /** A listed key and the order it was registered in. */
    private record Listing(StoredKey key, long sequence) {
    }

    /** An empty store on the system UTC clock (which dates keys). */
    public InMemoryApiKeyStore() {
        this(Clock.systemUTC());
    }

    /**
     * An empty store.
     *
     * @param clock what dates the keys' creation and revocation
     */
    public InMemoryApiKeyStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

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
        register(ApiKeyHash.of(key), principal, ApiKeyHash.displayPrefix(key));
    }

    /**
     * Adds a key known only by its hash (e.g. loaded from a file of hashes); replaces an earlier one.
     *
     * @param hash      the key's hash
     * @param principal who the key resolves to
     */
    public void addHash(ApiKeyHash hash, ApiPrincipal principal) {
        register(hash, principal, null);
    }

    private void register(ApiKeyHash hash, ApiPrincipal principal, String prefix) {
        Objects.requireNonNull(principal, "principal");
        listings.put(principal.keyId(), new Listing(new StoredKey(principal.keyId(), prefix, principal.accountId(),
                principal.tier(), clock.instant(), null), sequence.incrementAndGet()));
        keys.put(hash, CompletableFuture.completedFuture(Optional.of(principal)));
    }

    /**
     * Revokes the key with this hash; effective for the next request.
     *
     * @param hash the key's hash
     * @return whether there was such a key
     */
    public boolean revoke(ApiKeyHash hash) {
        CompletionStage<Optional<ApiPrincipal>> removed = keys.remove(hash);
        if (removed == null) {
            return false;
        }
        removed.toCompletableFuture().join().ifPresent(principal -> markRevoked(principal.keyId()));
        return true;
    }

    /**
     * Revokes the key with this public id; effective for the next request. A scan of all keys: an
     * administrative operation, not for the request path.
     *
     * @param keyId the key's public id ({@link ApiPrincipal#keyId()})
     * @return whether a key was revoked (every key with that id is)
     */
    public boolean revokeById(String keyId) {
        boolean revoked = keys.values().removeIf(stage -> stage.toCompletableFuture().join()
                .map(principal -> principal.keyId().equals(keyId)).orElse(false));
        if (revoked) {
            markRevoked(keyId);
        }
        return revoked;
    }

    private void markRevoked(String keyId) {
        Instant now = clock.instant();
        listings.computeIfPresent(keyId, (id, l) -> l.key.revoked() ? l : new Listing(new StoredKey(id, l.key.prefix(),
                l.key.accountId(), l.key.tier(), l.key.createdAt(), now), l.sequence));
    }

    /**
     * {@return every key this store was given, revoked ones included, newest first} A copy; an
     * administrative operation (it sorts every key), not for the request path.
     */
    public List<StoredKey> keys() {
        return listings.values().stream().sorted(NEWEST_FIRST).map(Listing::key).toList();
    }

    /**
     * {@return the keys of one account, revoked ones included, newest first} As {@link #keys()}.
     *
     * @param accountId the account
     */
    public List<StoredKey> keys(String accountId) {
        return listings.values().stream().filter(l -> l.key.accountId().equals(accountId)).sorted(NEWEST_FIRST)
                .map(Listing::key).toList();
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
