package ai.qubittron.bastion.spi.limit;

import java.util.Objects;

/**
 * What the gateway asks a {@link RateLimiter} about one request: who is calling, for which model and
 * endpoint, under which tier limits, and how many tokens it may use. Immutable; the gateway makes one per
 * request it admits, after the key was authenticated and the model resolved.
 *
 * @param keyId     the API key's id (never the key itself), {@code ApiPrincipal.keyId()}; safe to log
 * @param accountId the account the key belongs to, {@code ApiPrincipal.accountId()}
 * @param tier      the account's tier name, {@code ApiPrincipal.tier()}, which selected {@code limits}
 * @param modelId   the catalog id of the model the request is for (an alias such as
 *                  {@code openai/gpt-oss-120b} is already resolved to {@code gpt-oss-120b}); never the
 *                  client's own string, so a policy keyed by it is bounded by the catalog
 * @param endpoint  the gateway path the request was made to, e.g. {@code /v1/chat/completions}
 * @param limits    the per-minute limits of the key's tier
 * @param tokens    the tokens this request may use (prompt estimate + output limit), {@code >= 0}
 */
public record RateLimitRequest(String keyId, String accountId, String tier, String modelId, String endpoint,
                               RateLimits limits, long tokens) {

    /**
     * Validates every component.
     *
     * @param keyId     the API key's id
     * @param accountId the key's account
     * @param tier      the account's tier name
     * @param modelId   the catalog id of the model
     * @param endpoint  the gateway path
     * @param limits    the tier's limits
     * @param tokens    the request's tokens, {@code >= 0}
     * @throws NullPointerException     when a component is null, naming it
     * @throws IllegalArgumentException when {@code tokens} is negative, with its value
     */
    public RateLimitRequest {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(limits, "limits");
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens: must be >= 0, got " + tokens);
        }
    }
}
