package ai.qubittron.bastion.spi.ledger;

import java.util.concurrent.CompletionStage;

/**
 * The prepaid credit of accounts, in integer micro-units: reserve the worst case before a request is
 * dispatched, settle the actual cost when it ends.
 *
 * <p>Contract (checked by the TCK, {@code ai.qubittron.bastion.spi.tck.LedgerContractTest} in this
 * module's test-jar, which an implementation's test subclasses):
 * <ul>
 *   <li>{@link #reserve} grants only when the account's available credit (balance − reserved) covers
 *       the amount, atomically: concurrent reservations never together exceed the balance, so the
 *       balance never goes below zero;</li>
 *   <li>{@link #settle} charges {@code min(actual, reserved)} and frees the rest of the reservation;
 *       {@link #release} frees it all. Both are idempotent per request id: the first call wins and later
 *       calls (settle or release) return the first outcome without changing anything;</li>
 *   <li>a request id is reserved at most once;</li>
 *   <li>an unknown account is refused ({@code granted == false}), and settling a request id that was
 *       never reserved charges nothing.</li>
 * </ul>
 *
 * <p>The gateway reserves once per admitted request, under a fresh random request id, and ends every
 * reservation it was granted with one {@link #settle} or {@link #release}, on success, failure, client
 * disconnect or shutdown alike; it does not retry a settle that failed. A reservation whose settle
 * failed, or whose node died, is never ended by the gateway: an implementation that can fail or that
 * several nodes share needs its own way to free it (the PostgreSQL ledger's expiry, for one).
 *
 * <p>Thread role: called on gateway event loops. An implementation must not block: one doing I/O
 * returns an incomplete stage and completes it from its own threads; an in-memory one completes
 * synchronously. A stage completed exceptionally, or not completed within the gateway's admission
 * timeout (2 s by default), means the ledger could not answer: the gateway then answers 503 and lets
 * nothing through unmetered (a reservation granted after that timeout is released). Implementations are
 * shared by every event loop, so they are thread-safe.
 */
public interface Ledger {

    /**
     * Reserves {@code amountMicros} of the account's credit for one request.
     *
     * @param accountId    the account to hold the credit of (the principal's {@code accountId})
     * @param requestId    the request's id, unique per request; a second reservation under an id is refused
     * @param amountMicros the worst-case cost of the request, {@code >= 0}
     * @return the outcome; {@link Reservation#granted()} is {@code false} when the credit does not cover
     *         it (or the account is unknown), which is a normal answer, not an exception
     */
    CompletionStage<Reservation> reserve(String accountId, String requestId, long amountMicros);

    /**
     * Ends a reservation by charging the actual cost (capped at the reserved amount) and freeing the rest;
     * idempotent.
     *
     * @param accountId    the account the reservation was made on
     * @param requestId    the request id the reservation was made under
     * @param actualMicros what the request cost, {@code >= 0}
     * @return the charge that was made for this request id (by this call or an earlier one)
     */
    CompletionStage<Settlement> settle(String accountId, String requestId, long actualMicros);

    /**
     * Ends a reservation without charging (the request failed before anything billable); idempotent.
     * The default settles for 0.
     *
     * @param accountId the account the reservation was made on
     * @param requestId the request id the reservation was made under
     * @return the outcome for this request id; a release after a settle answers the settlement
     */
    default CompletionStage<Settlement> release(String accountId, String requestId) {
        return settle(accountId, requestId, 0);
    }

    /**
     * Reads the account's totals. Not on the request path: the admin API and tests call it.
     *
     * @param accountId the account
     * @return its balance, reserved and spent amounts; the shipped ledgers answer zeros for an unknown
     *         account
     */
    CompletionStage<AccountBalance> balance(String accountId);
}
