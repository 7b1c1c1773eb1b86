package ai.qubittron.bastion.spi.limit;

import java.util.concurrent.CompletionStage;

/**
 * Per-key limits, evaluated per minute: requests per minute and tokens per minute.
 *
 * <p>Contract (checked by the TCK, {@code RateLimiterContractTest} in this module's test-jar): within
 * one window, at most {@code limits.requestsPerMinute()} acquisitions are allowed for a key and their
 * tokens never add up past {@code limits.tokensPerMinute()}, however many callers race; a refused
 * acquisition consumes nothing; the decision carries the exact time until the window resets.
 *
 * <p>Thread role: called on gateway event loops; must not block (see {@link
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
     */
    CompletionStage<RateLimitDecision> acquire(String key, RateLimits limits, long tokens);
}
