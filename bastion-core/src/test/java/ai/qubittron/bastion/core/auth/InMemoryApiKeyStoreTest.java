package ai.qubittron.bastion.core.auth;

import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.tck.ApiKeyStoreContractTest;
import java.util.Set;

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
}
