package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.limit.RateLimiter;

/**
 * How requests are admitted: the rate limiter and the ledger (either may be absent: unlimited,
 * unmetered), the tiers and prices they use, how long they may take to answer, and the output limit
 * assumed (and imposed upstream) when a request sets none. Immutable.
 *
 * @param limiter                 per-key limits, or {@code null} for none
 * @param ledger                  prepaid credit, or {@code null} for unmetered use
 * @param tiers                   the limits of each tier
 * @param prices                  the price of each model
 * @param timeoutMillis           how long the limiter or the ledger may take before the request gets 503
 * @param defaultMaxOutputTokens  the output limit of a request that sets none
 * @param mediaPartTokens         the prompt tokens allowed for each image, audio or file part, whose size in
 *                                the body says nothing of its tokens
 */
public record Admission(RateLimiter limiter, Ledger ledger, TierTable tiers, PriceBook prices, long timeoutMillis,
                        long defaultMaxOutputTokens, long mediaPartTokens) {

    /** Default {@link #mediaPartTokens()}: 16,384, more than a large image costs a vision model. */
    public static final long DEFAULT_MEDIA_PART_TOKENS = 16_384;
}
