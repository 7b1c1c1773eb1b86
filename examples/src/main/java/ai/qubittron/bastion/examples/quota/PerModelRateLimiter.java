package ai.qubittron.bastion.examples.quota;

import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.spi.Prioritized;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimitRequest;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A {@link RateLimiter} plugin with limits per model: requests and tokens per minute, per key and model,
 * for the models that have limits of their own (a tighter one for the big model, say); every other
 * model gets the tier's limits, as without the plugin.
 *
 * <pre>
 * PerModelRateLimiter.builder()
 *         .model("gpt-oss-120b", new RateLimits(20, 40_000))          // every tier
 *         .model("gpt-oss-120b", "free", new RateLimits(5, 10_000))   // the free tier's own
 *         .build();
 * </pre>
 *
 * or the same in a file ({@link Builder#file}), one limit a line:
 *
 * <pre>
 * # model        requests/min  tokens/min  [tier]
 * gpt-oss-120b   20            40000
 * gpt-oss-120b   5             10000       free
 * </pre>
 *
 * <p><b>Allowances.</b> A model with limits of its own has its own allowance for each key, apart from
 * the tier's: its requests neither draw on the key's tier allowance nor are stopped by it. The models
 * without limits of their own share the key's tier allowance, exactly as {@link InMemoryRateLimiter}
 * counts it (what {@link #acquire(String, RateLimits, long)} decides). For a model, the limit of the key's
 * tier wins over the model's limit for every tier; a model with only some tiers' limits gives the other
 * tiers the tier's allowance. Model ids are catalog ids ({@code gpt-oss-120b}, not an alias such as
 * {@code openai/gpt-oss-120b}): the gateway resolves aliases before it asks.
 *
 * <p><b>Decisions.</b> Those of {@link InMemoryRateLimiter}: fixed one-minute windows aligned to the
 * epoch minute, exact remaining counts, a reset and retry-after to the end of the window, and the limits
 * that were applied, so the gateway's {@code x-ratelimit-*} headers describe the model's allowance when it
 * decided, and a request larger than the model's tokens per minute is answered as too large, without
 * {@code Retry-After}.
 *
 * <p><b>Discovery.</b> Listed in a {@code META-INF/services/ai.qubittron.bastion.spi.limit.RateLimiter}
 * file, it is found with {@link java.util.ServiceLoader} by a gateway built without {@code rateLimiter(…)}
 * (and with discovery on), and with {@link #PRIORITY} it wins over a limiter of default priority. The
 * discovered one reads the file named by the system property {@value #FILE_PROPERTY} or the environment
 * variable {@value #FILE_ENV}; when neither is set it declines (its constructor throws, and the gateway
 * skips it with a logged warning and has no limiter from it); when the file is named but cannot be used,
 * it fails every decision, and the gateway answers 503, rather than let the gateway run unlimited. In this module the services file is in the
 * test resources, not in the jar, so that the other examples' gateways, which discover too, do not meet
 * it (see this package's README). Limits are read once, when the limiter is made.
 *
 * <p>Thread role: any thread, on the gateway's event loops in particular; lock-free and never blocks
 * (decisions complete before they are returned). Memory: one small window state per key and per model
 * with limits of its own, kept while the limiter lives.
 */
public final class PerModelRateLimiter implements RateLimiter, Prioritized {

    public static final String FILE_PROPERTY = "bastion.quota.file";
    public static final String FILE_ENV = "BASTION_QUOTA_FILE";
    /** The discovered plugin's priority: above {@link Prioritized#DEFAULT_PRIORITY}. */
    public static final int PRIORITY = 10;

    private static final Logger LOG = Logger.getLogger(PerModelRateLimiter.class.getName());

    /** Why every decision fails (a discovered limiter whose file could not be used), or {@code null}. */
    private final RuntimeException broken;
    /** Windows of the models without limits of their own: per key, the tier's limits. */
    private final InMemoryRateLimiter tierWindows;
    /** Catalog model id → its limits and its windows; immutable. */
    private final Map<String, ModelQuota> models;

    /**
     * For {@link java.util.ServiceLoader}: the limits in the file named by {@value #FILE_PROPERTY} or
     * {@value #FILE_ENV}, on the system clock.
     *
     * <p>A file that is named but cannot be read does not make the constructor throw, since the gateway
     * would skip the provider and run with no limits at all: the limiter is made, logs the error, and
     * fails every decision, so that the gateway answers 503 until the file is fixed and it is restarted.
     *
     * @throws IllegalStateException when neither is set (the gateway then skips this provider)
     */
    public PerModelRateLimiter() {
        this(discovered(configuredFile()));
    }

    private PerModelRateLimiter(Builder b) {
        broken = b.broken;
        tierWindows = new InMemoryRateLimiter(b.clock);
        Set<String> limited = new HashSet<>(b.everyTier.keySet());
        limited.addAll(b.byTier.keySet());
        Map<String, ModelQuota> quotas = new HashMap<>();
        for (String model : limited) {
            quotas.put(model, new ModelQuota(b.everyTier.get(model), Map.copyOf(b.byTier.getOrDefault(model, Map.of())),
                    new InMemoryRateLimiter(b.clock)));
        }
        models = Map.copyOf(quotas);
    }

    private static Builder discovered(Path file) {
        Builder b = builder();
        try {
            return b.file(file);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            LOG.log(Level.SEVERE, "PerModelRateLimiter: the limits file cannot be used; every request will be "
                    + "refused with 503 until it is fixed and the gateway restarted", e);
            b.broken = new IllegalStateException("the limits file " + file + " cannot be used: " + e.getMessage(), e);
            return b;
        }
    }

    private static Path configuredFile() {
        String name = System.getProperty(FILE_PROPERTY, System.getenv(FILE_ENV));
        if (name == null) {
            throw new IllegalStateException("PerModelRateLimiter: set -D" + FILE_PROPERTY + " or " + FILE_ENV
                    + " to the limits file to use it");
        }
        return Path.of(name);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The key's allowance under the tier's limits: what every model without limits of its own shares. */
    @Override
    public CompletionStage<RateLimitDecision> acquire(String key, RateLimits limits, long tokens) {
        if (broken != null) {
            return CompletableFuture.failedFuture(broken);
        }
        return tierWindows.acquire(key, limits, tokens);
    }

    /** The allowance of the key for the request's model when it has limits of its own, else the tier's. */
    @Override
    public CompletionStage<RateLimitDecision> acquire(RateLimitRequest request) {
        ModelQuota quota = models.get(request.modelId());
        RateLimits own = quota == null ? null : quota.limits(request.tier());
        if (own == null || broken != null) {
            return acquire(request.keyId(), request.limits(), request.tokens());
        }
        return quota.windows.acquire(request.keyId(), own, request.tokens());
    }

    /** The limits of {@code modelId} for keys of {@code tier}, or {@code null} when the tier's apply. */
    public RateLimits limits(String modelId, String tier) {
        ModelQuota quota = models.get(modelId);
        return quota == null ? null : quota.limits(tier);
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /**
     * @param everyTier the model's limits for every tier without its own, or {@code null}
     * @param byTier    tier name → the model's limits for it
     * @param windows   per key, the model's windows
     */
    private record ModelQuota(RateLimits everyTier, Map<String, RateLimits> byTier, InMemoryRateLimiter windows) {
        RateLimits limits(String tier) {
            RateLimits limits = byTier.get(tier);
            return limits != null ? limits : everyTier;
        }
    }

    /** Collects the limits; not thread-safe. Each limit may be given once. */
    public static final class Builder {
        private final Map<String, RateLimits> everyTier = new HashMap<>();
        private final Map<String, Map<String, RateLimits>> byTier = new HashMap<>();
        private Clock clock = Clock.systemUTC();
        private RuntimeException broken;

        private Builder() {
        }

        /** The limits of {@code modelId} (a catalog id) for each key of every tier that has none of its own. */
        public Builder model(String modelId, RateLimits limits) {
            requireName("modelId", modelId);
            Objects.requireNonNull(limits, "limits");
            if (everyTier.putIfAbsent(modelId, limits) != null) {
                throw new IllegalArgumentException("modelId: the limits of '" + modelId + "' are already set");
            }
            return this;
        }

        /** The limits of {@code modelId} (a catalog id) for each key of the tier {@code tier}. */
        public Builder model(String modelId, String tier, RateLimits limits) {
            requireName("modelId", modelId);
            requireName("tier", tier);
            Objects.requireNonNull(limits, "limits");
            if (byTier.computeIfAbsent(modelId, m -> new HashMap<>()).putIfAbsent(tier, limits) != null) {
                throw new IllegalArgumentException("tier: the limits of '" + modelId + "' for '" + tier
                        + "' are already set");
            }
            return this;
        }

        /**
         * Adds the limits of a file, one a line: {@code model requests_per_minute tokens_per_minute [tier]},
         * separated by blanks; {@code #} starts a comment line.
         *
         * @throws IllegalArgumentException naming the file and line of a line that cannot be read (a limit
         *                                  silently dropped would let a model through unlimited)
         * @throws UncheckedIOException     when the file cannot be read
         */
        public Builder file(Path file) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Objects.requireNonNull(file, "file"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the limits file " + file, e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\\s+");
                try {
                    if (f.length < 3 || f.length > 4) {
                        throw new IllegalArgumentException("expected 'model requests_per_minute tokens_per_minute [tier]'");
                    }
                    RateLimits limits = new RateLimits(Long.parseLong(f[1]), Long.parseLong(f[2]));
                    if (f.length == 4) {
                        model(f[0], f[3], limits);
                    } else {
                        model(f[0], limits);
                    }
                } catch (IllegalArgumentException e) {
                    // NumberFormatException is one too
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
                }
            }
            return this;
        }

        /** The clock windows follow; default the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public PerModelRateLimiter build() {
            return new PerModelRateLimiter(this);
        }

        private static void requireName(String field, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(field + ": must not be blank, got " + (value == null ? null : "'" + value + "'"));
            }
        }
    }
}
