package ai.qubittron.bastion.redis;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.tck.ApiKeyStoreContractTest;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The key-lookup cache: the key store contract still holds, and a revocation on one node reaches every node's cache. */
@Timeout(60)
class CachingApiKeyStoreTest {

    private static final String CHANNEL = "bastion-test:keys:" + UUID.randomUUID();

    @Nested
    class Contract extends ApiKeyStoreContractTest {
        private CachingApiKeyStore cache;
        private InMemoryApiKeyStore store;

        @Override
        protected ApiKeyStore newStore() {
            store = new InMemoryApiKeyStore();
            cache = CachingApiKeyStore.connect(store, RedisTesting.URI, Duration.ofSeconds(60), CHANNEL);
            return cache;
        }

        @Override
        protected void register(ApiKeyStore ignored, String key, ApiPrincipal principal) {
            store.add(key, principal);
        }

        @Override
        protected void revoke(ApiKeyStore ignored, String keyId) {
            store.revokeById(keyId);
            cache.announceRevoked(keyId);
        }

        @Override
        protected Set<String> storedForms(ApiKeyStore ignored) {
            return store.storedHashes();
        }

        @AfterEach
        void close() {
            cache.close();
        }
    }

    /** A store that counts how often it is asked. */
    private static final class Counting implements ApiKeyStore {
        final InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        final AtomicInteger asked = new AtomicInteger();

        @Override
        public CompletionStage<Optional<ApiPrincipal>> authenticate(String presentedKey) {
            asked.incrementAndGet();
            return keys.authenticate(presentedKey);
        }
    }

    @Test
    void aKeyIsAskedOnceThenServedFromTheCacheUntilARevocationOnAnotherNode() throws Exception {
        Counting store = new Counting();
        String key = store.keys.create(new ApiPrincipal("key_1", "acct", "pro", Set.of()));
        try (CachingApiKeyStore nodeA = CachingApiKeyStore.connect(store, RedisTesting.URI, Duration.ofMinutes(5), CHANNEL);
             CachingApiKeyStore nodeB = CachingApiKeyStore.connect(store, RedisTesting.URI, Duration.ofMinutes(5), CHANNEL)) {
            for (int i = 0; i < 10; i++) {
                assertThat(resolve(nodeA, key)).isPresent();
                assertThat(resolve(nodeB, key)).isPresent();
            }
            assertThat(store.asked.get()).isEqualTo(2);
            // unknown keys are always asked: a key created a moment ago must work
            assertThat(resolve(nodeA, "qbt_not_a_key_0123456789")).isEmpty();
            assertThat(resolve(nodeA, "qbt_not_a_key_0123456789")).isEmpty();
            assertThat(store.asked.get()).isEqualTo(4);

            // revoked in the shared store by node A's admin API, announced by node A
            store.keys.revokeById("key_1");
            nodeA.announceRevoked("key_1");
            assertThat(resolve(nodeA, key)).isEmpty();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (resolve(nodeB, key).isPresent() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(resolve(nodeB, key)).as("node B forgot the revoked key").isEmpty();
        }
    }

    @Test
    void cachedKeysExpireAfterTheTtl() throws Exception {
        Counting store = new Counting();
        String key = store.keys.create(new ApiPrincipal("key_1", "acct", "pro", Set.of()));
        try (CachingApiKeyStore cache = CachingApiKeyStore.connect(store, RedisTesting.URI, Duration.ofMillis(200), CHANNEL)) {
            resolve(cache, key);
            resolve(cache, key);
            assertThat(store.asked.get()).isEqualTo(1);
            Thread.sleep(300);
            resolve(cache, key);
            assertThat(store.asked.get()).isEqualTo(2);
        }
    }

    @Test
    void aFailingStoreIsNotCached() {
        AtomicInteger asked = new AtomicInteger();
        ApiKeyStore failing = k -> {
            asked.incrementAndGet();
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        };
        try (CachingApiKeyStore cache = CachingApiKeyStore.connect(failing, RedisTesting.URI, Duration.ofMinutes(1), CHANNEL)) {
            for (int i = 0; i < 3; i++) {
                assertThat(cache.authenticate("qbt_whatever_0123456789").toCompletableFuture()).isCompletedExceptionally();
            }
            assertThat(asked.get()).isEqualTo(3);
        }
    }

    private static Optional<ApiPrincipal> resolve(ApiKeyStore store, String key) {
        return store.authenticate(key).toCompletableFuture().join();
    }
}
