package ai.qubittron.bastion.spi.auth;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling: the identity an {@link ApiKeyStore} resolves a presented API key to. Immutable; a
 * store may hand the same instance to every request of the key.
 *
 * @param keyId         the key's public identifier (never the key itself); safe to log
 * @param accountId     the account the key belongs to and that is billed
 * @param tier          the account's tier name, which selects its rate limits
 * @param allowedModels canonical model ids this key may use; empty means every model of the catalog
 */
public record ApiPrincipal(String keyId, String accountId, String tier, Set<String> allowedModels) {

    /**
     * The name of the default tier: {@value}. The gateway's tier table gives its limits to every tier
     * that has none of its own, and an account opened without a tier is in it.
     */
    public static final String DEFAULT_TIER = "default";

    /**
     * Validates and copies: {@code allowedModels} is copied into an unmodifiable set.
     *
     * @param keyId         the key's public identifier
     * @param accountId     the account billed
     * @param tier          the tier name
     * @param allowedModels canonical model ids, empty for all
     * @throws NullPointerException when a component, or an element of {@code allowedModels}, is null
     */
    public ApiPrincipal {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(tier, "tier");
        allowedModels = Set.copyOf(Objects.requireNonNull(allowedModels, "allowedModels"));
    }

    /**
     * {@return whether this key may use the model with the given canonical id}
     *
     * @param modelId a catalog id (not an alias)
     */
    public boolean mayUse(String modelId) {
        return allowedModels.isEmpty() || allowedModels.contains(modelId);
    }
}
