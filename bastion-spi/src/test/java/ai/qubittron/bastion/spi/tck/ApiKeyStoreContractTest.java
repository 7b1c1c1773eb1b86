package ai.qubittron.bastion.spi.tck;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link ApiKeyStore}, for every implementation to subclass: implement
 * {@link #newStore}, {@link #register} and {@link #revoke}.
 *
 * <p>Checked: a registered key resolves to its principal (model allow-list included); an unknown key, a
 * key differing in one character, a prefix of a key, a key with trailing blanks, the empty string and
 * a key of another vendor resolve to nothing; a revoked key resolves to nothing from the next call on,
 * while other keys of the account still work; what the store keeps is the key's hash, never the key
 * (checked through {@link #storedForms}).
 */
@Timeout(30)
public abstract class ApiKeyStoreContractTest {

    private ApiKeyStore store;

    /** A new, empty store. */
    protected abstract ApiKeyStore newStore();

    /** Makes {@code key} resolve to {@code principal} in {@code store}, the store's own way. */
    protected abstract void register(ApiKeyStore store, String key, ApiPrincipal principal);

    /** Revokes the key with this public id. */
    protected abstract void revoke(ApiKeyStore store, String keyId);

    /**
     * Every string the store holds that could identify a key (hashes, ids…), for the check that no key
     * is kept in clear; return an empty set if the store cannot list them.
     */
    protected abstract Set<String> storedForms(ApiKeyStore store);

    @BeforeEach
    void setUp() {
        store = newStore();
    }

    private Optional<ApiPrincipal> resolve(String key) {
        return store.authenticate(key).toCompletableFuture().join();
    }

    @Test
    void aRegisteredKeyResolvesToItsPrincipal() {
        String key = ApiKeyHash.newKey();
        ApiPrincipal principal = new ApiPrincipal("key_1", "acct_1", "pro", Set.of("gpt-oss-120b"));
        register(store, key, principal);
        assertThat(resolve(key)).contains(principal);
        assertThat(resolve(key).orElseThrow().mayUse("gpt-oss-20b")).isFalse();
    }

    @Test
    void nothingButTheExactKeyResolves() {
        String key = ApiKeyHash.newKey();
        register(store, key, new ApiPrincipal("key_1", "acct_1", "pro", Set.of()));
        char last = key.charAt(key.length() - 1);
        String oneOff = key.substring(0, key.length() - 1) + (last == 'a' ? 'b' : 'a');
        for (String wrong : new String[] {oneOff, key.substring(0, key.length() - 1), key + " ", " " + key, "",
                ApiKeyHash.newKey(), "sk-" + key.substring(4), key.toUpperCase()}) {
            assertThat(resolve(wrong)).as("'%s'", wrong).isEmpty();
        }
    }

    @Test
    void aRevokedKeyStopsResolvingAndTheAccountsOtherKeysGoOn() {
        String first = ApiKeyHash.newKey();
        String second = ApiKeyHash.newKey();
        register(store, first, new ApiPrincipal("key_1", "acct_1", "pro", Set.of()));
        register(store, second, new ApiPrincipal("key_2", "acct_1", "pro", Set.of()));
        revoke(store, "key_1");
        assertThat(resolve(first)).isEmpty();
        assertThat(resolve(second)).map(ApiPrincipal::keyId).contains("key_2");
    }

    @Test
    void keysAreNotKeptInClear() {
        String key = ApiKeyHash.newKey();
        register(store, key, new ApiPrincipal("key_1", "acct_1", "pro", Set.of()));
        assertThat(storedForms(store)).noneMatch(form -> form.contains(key.substring(4)));
    }
}
