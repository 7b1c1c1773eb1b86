package ai.qubittron.bastion.spi.ledger;

/**
 * The outcome of {@link Ledger#settle} or {@link Ledger#release} for one request id. Immutable.
 *
 * @param requestId     the request
 * @param chargedMicros what the account was charged for it (0 for a release, or for an id that was never
 *                      reserved)
 * @param firstTime     {@code true} for the call that settled it, {@code false} for any repeat
 */
public record Settlement(String requestId, long chargedMicros, boolean firstTime) {
}
