package ai.qubittron.bastion.spi.auth;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Resolves a presented API key ({@code qbt_…}) to the principal it belongs to.
 *
 * <p>An implementation stores only hashes of keys ({@link ApiKeyHash}) and never logs a key.
 *
 * <p>Thread role: called on a gateway event loop for every request that carries a bearer token, as
 * soon as its head is read. It must not block: an implementation that does I/O returns an incomplete
 * stage and completes it from its own threads; an in-memory one completes synchronously. The gateway
 * continues on its own event loop either way. A stage not completed within the gateway's admission
 * timeout (2 s by default) counts as a failure. Implementations are shared by every event loop, so
 * they are thread-safe.
 *
 * <p>Implement it and run {@code ai.qubittron.bastion.spi.tck.ApiKeyStoreContractTest} from this
 * module's test-jar against it; see the package {@code ai.qubittron.bastion.spi} for discovery.
 */
@FunctionalInterface
public interface ApiKeyStore {

    /**
     * Looks up a presented key.
     *
     * @param presentedKey the bearer token exactly as the client sent it: never null, but any string
     * @return the principal, or an empty optional when the key is unknown or revoked; a stage completed
     *         exceptionally means the store could not answer (the gateway answers 503, never lets the
     *         request through)
     */
    CompletionStage<Optional<ApiPrincipal>> authenticate(String presentedKey);
}
