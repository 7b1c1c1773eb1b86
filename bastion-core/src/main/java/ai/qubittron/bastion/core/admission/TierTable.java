package ai.qubittron.bastion.core.admission;

import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rate limits of each tier, changeable at run time. A tier without limits of its own gets the
 * default tier's ({@link ai.qubittron.bastion.spi.auth.ApiPrincipal#DEFAULT_TIER}), which are
 * {@link #DEFAULT_LIMITS} until set. Thread-safe: any thread may set while event loops read (lock-free);
 * a change applies to the next request's admission.
 */
public final class TierTable {

    /** The default tier's limits unless configured: 600 requests and 1,000,000 tokens per minute. */
    public static final RateLimits DEFAULT_LIMITS = new RateLimits(600, 1_000_000);

    private final Map<String, RateLimits> tiers = new ConcurrentHashMap<>();
    private volatile RateLimits defaultLimits = DEFAULT_LIMITS;

    /**
     * Sets a tier's limits; the tier named {@code default} is the fallback for unknown tiers.
     *
     * @param tier   the tier name, as in {@link ai.qubittron.bastion.spi.auth.ApiPrincipal#tier()}
     * @param limits its per-minute allowance
     */
    public void set(String tier, RateLimits limits) {
        Objects.requireNonNull(limits, "limits");
        if ("default".equals(Objects.requireNonNull(tier, "tier"))) {
            defaultLimits = limits;
        }
        tiers.put(tier, limits);
    }

    /**
     * {@return every tier set, and {@code default} (set or not), by name; a sorted, unmodifiable copy}
     */
    public SortedMap<String, RateLimits> tiers() {
        TreeMap<String, RateLimits> all = new TreeMap<>(tiers);
        all.put("default", defaultLimits);
        return Collections.unmodifiableSortedMap(all);
    }

    /**
     * {@return the tier's limits, or the default tier's when it has none}
     *
     * @param tier the tier name
     */
    public RateLimits limits(String tier) {
        RateLimits limits = tiers.get(tier);
        return limits != null ? limits : defaultLimits;
    }
}
