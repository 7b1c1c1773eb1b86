package ai.qubittron.bastion.spi.limit;

import java.util.concurrent.CompletionStage;

/**
 * Per-key limits, evaluated per minute: requests per minute and tokens per minute.
 *
 * <p>The gateway calls {@link #acquire(RateLimitRequest)}, once per request, with the key, account,
 * tier, model and endpoint. By default it decides by the key and the tier's limits alone, through
 * {@link #acquire(String, RateLimits, long)}, the one abstract method (so a lambda is a limiter). A
 * policy that depends on more, such as limits per model, overrides {@code acquire(RateLimitRequest)};
 * it still implements the three-argument method, which is then its decision for a request it gives no
 * policy of its own (the tier's limits for the key).
 *
 * <p>Contract (checked by the TCK, {@code RateLimiterContractTest} in this module's test-jar): within
 * one window, at most {@code limits.requestsPerMinute()} acquisitions are allowed for a key and their
 * tokens never add up past {@code limits.tokensPerMinute()}, however many callers race; a refused
 * acquisition consumes nothing; the decision carries the exact time until the window resets. The same
 * holds for {@code acquire(RateLimitRequest)}, against whatever limits the policy applies to the
 * request; the limits of a decision are the ones that were applied, so that the gateway's
 * {@code x-ratelimit-*} headers and {@code Retry-After} describe them, and it can tell a request larger
 * than any window admits ({@code tokens > limitTokens}) from one that may be retried.
 *
 * <p>Thread role: both methods are called on gateway event loops and must not block (see {@link
 * ai.qubittron.bastion.spi.ledger.Ledger} for the asynchronous convention). A stage completed
 * exceptionally means the limiter could not answer: the gateway answers 503.
 */
@FunctionalInterface
public interface RateLimiter {

    /**
     * Takes one request and {@code tokens} tokens from the key's allowance for the current window.
     *
     * @param key    the API key's id (never the key itself)
     * @param limits the limits of the key's tier
     * @param tokens the tokens this request may use (prompt estimate + output limit), {@code >= 0}
     * @return the decision; a refusal is a normal answer, not an exception
     */
    CompletionStage<RateLimitDecision> acquire(String key, RateLimits limits, long tokens);

    /**
     * Takes one request and its tokens from the allowance the policy gives this request: what the
     * gateway calls. The default is {@code acquire(request.keyId(), request.limits(), request.tokens())}:
     * per key, the tier's limits, whatever the model.
     *
     * @param request the key, account, tier, model and endpoint of the request, the tier's limits and the
     *                request's tokens
     * @return the decision, with the limits that were applied to the request
     */
    default CompletionStage<RateLimitDecision> acquire(RateLimitRequest request) {
        return acquire(request.keyId(), request.limits(), request.tokens());
    }
}
