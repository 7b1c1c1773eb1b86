package ai.qubittron.bastion.core.admission;

import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The money side of one admitted request: what was reserved, and the one settlement that ends it.
 *
 * <p>{@link #settle} and {@link #release} may be called on every path that ends a request (success,
 * upstream error, client gone, timeout); only the first call reaches the ledger, and the ledger is
 * itself idempotent per request id, so a request is billed exactly once.
 *
 * <p>Not thread-safe: used by the event loop that relays the request.
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

    /** Charges the cost of these tokens (at most the reservation); later calls change nothing. */
    public CompletionStage<Settlement> settle(long inputTokens, long outputTokens) {
        if (outcome == null) {
            outcome = logFailure(ledger.settle(accountId, requestId, Math.min(reservedMicros,
                    price.costMicros(inputTokens, outputTokens))));
        }
        return outcome;
    }

    /** Charges the fallback prompt estimate and the output tokens counted by the relay. */
    public CompletionStage<Settlement> settleEstimated(long outputTokens) {
        return settle(promptTokensFallback, outputTokens);
    }

    /** Frees the reservation without charging; later calls change nothing. */
    public CompletionStage<Settlement> release() {
        if (outcome == null) {
            outcome = logFailure(ledger.release(accountId, requestId));
        }
        return outcome;
    }

    /** Whether the request was settled or released already. */
    public boolean ended() {
        return outcome != null;
    }

    /** The amount reserved for the request. */
    public long reservedMicros() {
        return reservedMicros;
    }

    private CompletionStage<Settlement> logFailure(CompletionStage<Settlement> stage) {
        CompletableFuture<Settlement> future = stage.toCompletableFuture();
        future.whenComplete((settlement, e) -> {
            if (e != null) {
                // the reservation stays held (no over-spend); the ledger's own recovery must settle it
                LOG.log(Level.WARNING, "could not settle request " + requestId + " of account " + accountId, e);
            }
        });
        return future;
    }
}
