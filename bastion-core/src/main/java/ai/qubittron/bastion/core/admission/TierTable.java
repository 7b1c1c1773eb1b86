package ai.qubittron.bastion.core.admission;

import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rate limits of each tier, changeable at run time. A tier without limits of its own gets the
 * default tier's. Lock-free reads.
 */
public final class TierTable {

    /** The default tier's limits unless configured: 600 requests and 1,000,000 tokens per minute. */
    public static final RateLimits DEFAULT_LIMITS = new RateLimits(600, 1_000_000);

    private final Map<String, RateLimits> tiers = new ConcurrentHashMap<>();
    private volatile RateLimits defaultLimits = DEFAULT_LIMITS;

    /** Sets a tier's limits; the tier named {@code default} is the fallback for unknown tiers. */
    public void set(String tier, RateLimits limits) {
        Objects.requireNonNull(limits, "limits");
        if ("default".equals(Objects.requireNonNull(tier, "tier"))) {
            defaultLimits = limits;
        }
        tiers.put(tier, limits);
    }

    /** The tier's limits. */
    public RateLimits limits(String tier) {
        RateLimits limits = tiers.get(tier);
        return limits != null ? limits : defaultLimits;
    }
}
