package ai.qubittron.bastion.spi.ledger;

import java.util.concurrent.CompletionStage;

/**
 * The prepaid credit of accounts, in integer micro-units: reserve the worst case before a request is
 * dispatched, settle the actual cost when it ends.
 *
 * <p>Contract (checked by the TCK, {@code LedgerContractTest} in this module's test-jar):
 * <ul>
 *   <li>{@link #reserve} grants only when the account's available credit (balance − reserved) covers
 *       the amount, atomically: concurrent reservations never together exceed the balance, so the
 *       balance never goes below zero;</li>
 *   <li>{@link #settle} charges {@code min(actual, reserved)} and frees the rest of the reservation;
 *       {@link #release} frees it all. Both are idempotent per request id: the first call wins and later
 *       calls (settle or release) return the first outcome without changing anything;</li>
 *   <li>a request id is reserved at most once.</li>
 * </ul>
 *
 * <p>Thread role: called on gateway event loops. An implementation must not block: one doing I/O
 * returns an incomplete stage and completes it from its own threads; an in-memory one completes
 * synchronously. A stage completed exceptionally means the ledger could not answer: the gateway then
 * answers 503 and lets nothing through unmetered.
 */
public interface Ledger {

    /**
     * Reserves {@code amountMicros} of the account's credit for one request.
     *
     * @return the outcome; {@link Reservation#granted()} is {@code false} when the credit does not cover
     *         it (or the account is unknown), which is a normal answer, not an exception
     */
    CompletionStage<Reservation> reserve(String accountId, String requestId, long amountMicros);

    /**
     * Ends a reservation by charging the actual cost (capped at the reserved amount); idempotent.
     *
     * @return the charge that was made for this request id (by this call or an earlier one)
     */
    CompletionStage<Settlement> settle(String accountId, String requestId, long actualMicros);

    /** Ends a reservation without charging (the request failed before anything billable); idempotent. */
    default CompletionStage<Settlement> release(String accountId, String requestId) {
        return settle(accountId, requestId, 0);
    }

    /** The account's balance, reserved and spent amounts. */
    CompletionStage<AccountBalance> balance(String accountId);
}
