package ai.qubittron.bastion.core.admission;

import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The money side of one admitted request: what was reserved, and the one settlement that ends it.
 *
 * <p>{@link #settle} and {@link #release} may be called on every path that ends a request (success,
 * upstream error, client gone, timeout); only the first call reaches the ledger, and the ledger is
 * itself idempotent per request id, so a request is billed exactly once.
 *
 * <p>Not thread-safe: used by the event loop that relays the request. The stages it returns complete
 * on whichever thread the ledger completes them on; a ledger that throws or fails is logged here, never
 * rethrown, and leaves the reservation held.
 */
public final class Billing {

    private static final Logger LOG = Logger.getLogger(Billing.class.getName());

    private final Ledger ledger;
    private final String accountId;
    private final String requestId;
    private final ModelPrice price;
    private final long reservedMicros;
    private final long promptTokensFallback;
    private CompletionStage<Settlement> outcome;

    /**
     * The billing of a request whose reservation the ledger has granted.
     *
     * @param ledger               the ledger that granted the reservation; not owned
     * @param accountId            the account billed
     * @param requestId            the request id the reservation was made under
     * @param price                the model's price, which turns tokens into micro-units
     * @param reservedMicros       the amount reserved, the most a settlement charges
     * @param promptTokensFallback the prompt tokens billed when the upstream reports no usage
     */
    public Billing(Ledger ledger, String accountId, String requestId, ModelPrice price, long reservedMicros,
                   long promptTokensFallback) {
        this.ledger = ledger;
        this.accountId = accountId;
        this.requestId = requestId;
        this.price = price;
        this.reservedMicros = reservedMicros;
        this.promptTokensFallback = promptTokensFallback;
    }

    /**
     * Charges the cost of these tokens, at most the reservation (the ledger never takes more than was
     * reserved, so a balance never goes below zero); later calls change nothing. A cost above the
     * reservation means the worst case was not one: it is logged, as it is revenue lost.
     *
     * @param inputTokens  the prompt tokens to bill (negative counts as 0)
     * @param outputTokens the output tokens to bill (negative counts as 0)
     * @return the ledger's outcome; after the first call (settle or release), that first outcome
     */
    public CompletionStage<Settlement> settle(long inputTokens, long outputTokens) {
        if (outcome == null) {
            long cost = price.costMicros(Math.max(0, inputTokens), Math.max(0, outputTokens));
            if (cost > reservedMicros) {
                LOG.warning("request " + requestId + " of account " + accountId + " cost " + cost
                        + " micro-units, more than the " + reservedMicros + " reserved; charged the reservation");
            }
            outcome = call(() -> ledger.settle(accountId, requestId, Math.min(reservedMicros, cost)));
        }
        return outcome;
    }

    /**
     * Charges the fallback prompt estimate and the output tokens counted by the relay: for a response
     * that reported no usage (a cut stream, a client gone).
     *
     * @param outputTokens the output tokens relayed
     * @return as {@link #settle}
     */
    public CompletionStage<Settlement> settleEstimated(long outputTokens) {
        return settle(promptTokensFallback, outputTokens);
    }

    /**
     * Frees the reservation without charging; later calls change nothing.
     *
     * @return the ledger's outcome; after the first call (settle or release), that first outcome
     */
    public CompletionStage<Settlement> release() {
        if (outcome == null) {
            outcome = call(() -> ledger.release(accountId, requestId));
        }
        return outcome;
    }

    /** {@return whether the request was settled or released already} */
    public boolean ended() {
        return outcome != null;
    }

    /** {@return the amount reserved for the request, in micro-units} */
    public long reservedMicros() {
        return reservedMicros;
    }

    /** Calls the ledger; a throw becomes a failed stage, so the relay that bills never breaks. */
    private CompletionStage<Settlement> call(Supplier<CompletionStage<Settlement>> ledgerCall) {
        CompletableFuture<Settlement> future;
        try {
            future = ledgerCall.get().toCompletableFuture();
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((settlement, e) -> {
            if (e != null) {
                // the reservation stays held (no over-spend); the ledger's own recovery must settle it
                LOG.log(Level.WARNING, "could not settle request " + requestId + " of account " + accountId, e);
            }
        });
        return future;
    }
}
