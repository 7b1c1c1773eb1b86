package ai.qubittron.bastion.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.auth.StoredKey;
import ai.qubittron.bastion.spi.tck.ApiKeyStoreContractTest;
import ai.qubittron.bastion.spi.tck.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InMemoryApiKeyStoreTest extends ApiKeyStoreContractTest {

    @Override
    protected ApiKeyStore newStore() {
        return new InMemoryApiKeyStore();
    }

    @Override
    protected void register(ApiKeyStore store, String key, ApiPrincipal principal) {
        ((InMemoryApiKeyStore) store).add(key, principal);
    }

    @Override
    protected void revoke(ApiKeyStore store, String keyId) {
        ((InMemoryApiKeyStore) store).revokeById(keyId);
    }

    @Override
    protected Set<String> storedForms(ApiKeyStore store) {
        return ((InMemoryApiKeyStore) store).storedHashes();
    }

    @Test
    void keysAreListedNewestFirstWithTheirPrefixAndRevocationNeverTheKey() {
        MutableClock clock = new MutableClock(1_740_000_000_000L);
        InMemoryApiKeyStore store = new InMemoryApiKeyStore(clock);
        String first = store.create(new ApiPrincipal("key_1", "acct", "free", Set.of()));
        clock.advance(Duration.ofSeconds(5));
        store.addHash(ApiKeyHash.of("qbt_hashonly_0123456789"), new ApiPrincipal("key_2", "acct", "free", Set.of()));
        clock.advance(Duration.ofSeconds(5));
        store.add("qbt_other_0123456789", new ApiPrincipal("key_3", "other", "pro", Set.of()));
        clock.advance(Duration.ofSeconds(5));
        assertThat(store.revokeById("key_1")).isTrue();

        assertThat(store.keys()).containsExactly(
                new StoredKey("key_3", "qbt_other_01", "other", "pro", Instant.ofEpochSecond(1_740_000_010L), null),
                new StoredKey("key_2", null, "acct", "free", Instant.ofEpochSecond(1_740_000_005L), null),
                new StoredKey("key_1", first.substring(0, 12), "acct", "free", Instant.ofEpochSecond(1_740_000_000L),
                        Instant.ofEpochSecond(1_740_000_015L)));
        assertThat(store.keys("acct")).extracting(StoredKey::keyId).containsExactly("key_2", "key_1");
        assertThat(store.keys().toString()).doesNotContain(first);
        // a second revocation keeps the first time
        clock.advance(Duration.ofSeconds(5));
        assertThat(store.revokeById("key_1")).isFalse();
        assertThat(store.keys("acct").get(1).revokedAt()).isEqualTo(Instant.ofEpochSecond(1_740_000_015L));
    }
}
