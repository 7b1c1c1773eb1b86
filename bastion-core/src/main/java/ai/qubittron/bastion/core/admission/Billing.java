package ai.qubittron.bastion.core.admission;

import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * rethrown, and is asked again until it answers (see {@link #RETRY_LIMIT}).
 */
public final class Billing {

    private static final Logger LOG = Logger.getLogger(Billing.class.getName());

    /** How long a failing settlement is retried before it is given up (and logged): 15 minutes. */
    public static final Duration RETRY_LIMIT = Duration.ofMinutes(15);
    private static final long RETRY_FIRST_DELAY_MILLIS = 50;
    private static final long RETRY_MAX_DELAY_MILLIS = 5_000;

    private final Ledger ledger;
    private final String accountId;
    private final String requestId;
    private final ModelPrice price;
    private final long reservedMicros;
    private final Duration retryLimit;
    private CompletionStage<Settlement> outcome;

    /**
     * The billing of a request whose reservation the ledger has granted.
     *
     * @param ledger         the ledger that granted the reservation; not owned
     * @param accountId      the account billed
     * @param requestId      the request id the reservation was made under
     * @param price          the model's price, which turns tokens into micro-units
     * @param reservedMicros the amount reserved, the most a settlement charges
     */
    public Billing(Ledger ledger, String accountId, String requestId, ModelPrice price, long reservedMicros) {
        this(ledger, accountId, requestId, price, reservedMicros, RETRY_LIMIT);
    }

    /** As above, with another limit on retrying a failing settlement (tests). */
    Billing(Ledger ledger, String accountId, String requestId, ModelPrice price, long reservedMicros,
            Duration retryLimit) {
        this.ledger = ledger;
        this.accountId = accountId;
        this.requestId = requestId;
        this.price = price;
        this.reservedMicros = reservedMicros;
        this.retryLimit = retryLimit;
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

    /** {@return the amount reserved for the request, in micro-units} */
    public long reservedMicros() {
        return reservedMicros;
    }

    /**
     * Calls the ledger, and calls it again while it fails: a settlement lost to a database outage would
     * leave the reservation held until the ledger's expiry released it unbilled. The ledger is idempotent
     * per request id, so a repeat after a failure that did reach it answers its first outcome. A throw
     * becomes a failed stage, so the relay that bills never breaks. The retries wait 50 ms, doubling up
     * to 5 s, on a daemon thread, for at most {@link #RETRY_LIMIT}; a JVM that exits meanwhile leaves the
     * reservation to the ledger's expiry.
     */
    private CompletionStage<Settlement> call(Supplier<CompletionStage<Settlement>> ledgerCall) {
        CompletableFuture<Settlement> result = new CompletableFuture<>();
        attempt(ledgerCall, result, 0, System.nanoTime());
        return result;
    }

    private void attempt(Supplier<CompletionStage<Settlement>> ledgerCall, CompletableFuture<Settlement> result,
                         int failures, long firstNanos) {
        CompletableFuture<Settlement> future;
        try {
            future = ledgerCall.get().toCompletableFuture();
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((settlement, e) -> {
            if (e == null) {
                if (failures > 0) {
                    LOG.info("settled request " + requestId + " of account " + accountId + " after " + failures
                            + " failed attempts");
                }
                result.complete(settlement);
            } else if (System.nanoTime() - firstNanos > retryLimit.toNanos()) {
                LOG.log(Level.SEVERE, "gave up settling request " + requestId + " of account " + accountId + " after "
                        + failures + " retries; its reservation stays held until the ledger releases it", e);
                result.completeExceptionally(e);
            } else {
                if (failures == 0) {
                    LOG.log(Level.WARNING, "could not settle request " + requestId + " of account " + accountId
                            + "; retrying", e);
                }
                long delayMillis = Math.min(RETRY_MAX_DELAY_MILLIS, RETRY_FIRST_DELAY_MILLIS << Math.min(failures, 16));
                Retries.SCHEDULER.schedule(() -> attempt(ledgerCall, result, failures + 1, firstNanos), delayMillis,
                        TimeUnit.MILLISECONDS);
            }
        });
    }

    /** The one daemon thread that waits between retries, made when first needed. */
    private static final class Retries {
        static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bastion-settlement-retry");
            t.setDaemon(true);
            return t;
        });
    }
}
