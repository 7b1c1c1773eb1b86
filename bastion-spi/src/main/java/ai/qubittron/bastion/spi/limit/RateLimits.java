package ai.qubittron.bastion.spi.limit;

/**
 * The per-minute allowance of a tier.
 *
 * @param requestsPerMinute requests a key may make per minute, {@code >= 0}
 * @param tokensPerMinute   tokens (input + output) a key may use per minute, {@code >= 0}
 */
public record RateLimits(long requestsPerMinute, long tokensPerMinute) {

    /** No practical limit. */
    public static final RateLimits UNLIMITED = new RateLimits(Long.MAX_VALUE, Long.MAX_VALUE);

    /**
     * Validates both limits.
     *
     * @param requestsPerMinute requests a key may make per minute, {@code >= 0}
     * @param tokensPerMinute   tokens a key may use per minute, {@code >= 0}
     * @throws IllegalArgumentException when either is negative, naming it and its value
     */
    public RateLimits {
        if (requestsPerMinute < 0) {
            throw new IllegalArgumentException("requestsPerMinute: must be >= 0, got " + requestsPerMinute);
        }
        if (tokensPerMinute < 0) {
            throw new IllegalArgumentException("tokensPerMinute: must be >= 0, got " + tokensPerMinute);
        }
    }
}
