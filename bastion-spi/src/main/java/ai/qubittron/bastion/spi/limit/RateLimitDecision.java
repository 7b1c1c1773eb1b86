package ai.qubittron.bastion.spi.limit;

/**
 * The answer to {@link RateLimiter#acquire}: allowed or not, and the numbers the gateway reports in
 * {@code x-ratelimit-*} headers and {@code Retry-After}.
 *
 * @param allowed           whether the request may proceed
 * @param limitRequests     the requests allowed per window
 * @param remainingRequests requests left in the current window after this decision
 * @param limitTokens       the tokens allowed per window
 * @param remainingTokens   tokens left in the current window after this decision
 * @param resetMillis       milliseconds until the current window ends and the allowance is whole again
 * @param retryAfterMillis  when refused, milliseconds until a retry can succeed; 0 when allowed
 */
public record RateLimitDecision(boolean allowed, long limitRequests, long remainingRequests, long limitTokens,
                                long remainingTokens, long resetMillis, long retryAfterMillis) {

    /** {@return {@code Retry-After} in whole seconds, rounded up: at least 1 when refused, 0 when allowed} */
    public long retryAfterSeconds() {
        return allowed ? 0 : Math.max(1, (retryAfterMillis + 999) / 1000);
    }
}
