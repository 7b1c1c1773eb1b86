package ai.qubittron.bastion.spi.auth;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling: the identity an {@link ApiKeyStore} resolves a presented API key to.
 *
 * @param keyId         the key's public identifier (never the key itself); safe to log
 * @param accountId     the account the key belongs to and that is billed
 * @param tier          the account's tier name, which selects its rate limits
 * @param allowedModels canonical model ids this key may use; empty means every model of the catalog
 */
public record ApiPrincipal(String keyId, String accountId, String tier, Set<String> allowedModels) {

    /** The tier a principal gets when none is named. */
    public static final String DEFAULT_TIER = "default";

    public ApiPrincipal {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(tier, "tier");
        allowedModels = Set.copyOf(Objects.requireNonNull(allowedModels, "allowedModels"));
    }

    /** Whether this key may use the model with the given canonical id. */
    public boolean mayUse(String modelId) {
        return allowedModels.isEmpty() || allowedModels.contains(modelId);
    }
}
