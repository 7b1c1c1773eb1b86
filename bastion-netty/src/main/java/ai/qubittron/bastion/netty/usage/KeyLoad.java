package ai.qubittron.bastion.netty.usage;

/**
 * What one key used of its rate limits on one node in the current minute: the requests the rate limiter
 * admitted and the tokens they were admitted for (prompt estimate plus output bound, as the limiter
 * counts them).
 *
 * @param keyId     the key's public id
 * @param accountId the account it bills
 * @param tier      its tier, whose limits apply
 * @param requests  requests admitted this minute
 * @param tokens    tokens admitted for this minute
 */
public record KeyLoad(String keyId, String accountId, String tier, long requests, long tokens) {
}
