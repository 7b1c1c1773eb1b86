package ai.qubittron.bastion.bench.e2e;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.jdbc.PostgresBackend;
import ai.qubittron.bastion.redis.CachingApiKeyStore;
import ai.qubittron.bastion.redis.RedisRateLimiter;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimits;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The gateway as the end-to-end benchmarks run it, in a JVM of its own so that its CPU time and memory
 * can be read from {@code /proc}: every per-request step a deployment pays for is on — key lookup, a rate
 * limiter, a prepaid ledger, metering at the default prices, Micrometer meters in a Prometheus registry —
 * with in-memory stores and limits no benchmark reaches; with {@code --redis} and {@code --postgres}, the
 * limiter in Redis and the ledger and key store in PostgreSQL (schema {@code bastion_bench}), with the
 * key-lookup cache, as several nodes would share them.
 *
 * <pre>
 * java -cp benchmarks.jar ai.qubittron.bastion.bench.e2e.BenchGateway --port P --key qbt_… --worker URL…
 *     [--io-threads N] [--max-in-flight-per-worker N] [--redis URI] [--postgres JDBC_URL]
 * </pre>
 *
 * Prints {@value #READY} and the port once it accepts, and runs until its standard input closes (so it
 * never outlives the benchmark that started it).
 */
public final class BenchGateway {

    /** The line printed, followed by the port, once the gateway accepts connections. */
    public static final String READY = "bench-gateway listening on ";
    /** The model every worker serves. */
    public static final String MODEL = "gpt-oss-120b";

    private static final String ACCOUNT = "acct_bench";
    private static final String TIER = "bench";
    /** Limits no run reaches: the limiter still counts every request and its tokens. */
    private static final RateLimits LIMITS = new RateLimits(1_000_000_000L, 1_000_000_000_000L);
    /** Credit no run spends: the ledger still reserves and settles every request. */
    private static final long CREDIT_MICROS = Long.MAX_VALUE / 4;

    private BenchGateway() {
    }

    public static void main(String[] args) throws IOException {
        int port = 0;
        String key = null;
        Integer ioThreads = null;
        Integer maxInFlight = null;
        List<URI> workers = new ArrayList<>();
        String redis = null;
        String postgres = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(value);
                case "--key" -> key = value;
                case "--io-threads" -> ioThreads = Integer.parseInt(value);
                case "--worker" -> workers.add(URI.create(value));
                case "--max-in-flight-per-worker" -> maxInFlight = Integer.parseInt(value);
                case "--redis" -> redis = value;
                case "--postgres" -> postgres = value;
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
            i++;
        }
        if (key == null || workers.isEmpty()) {
            throw new IllegalArgumentException("--key and at least one --worker are required");
        }
        ApiPrincipal principal = new ApiPrincipal("key_bench", ACCOUNT, TIER, Set.of());
        ApiKeyStore keys;
        Ledger ledger;
        PostgresBackend database = null;
        if (postgres != null) {
            database = PostgresBackend.connect(postgres, PostgresBackend.Options.defaults().withSchema("bastion_bench"));
            // one key id per key: the schema outlives the run, and another run may bring another key
            database.keyStore().add(key, new ApiPrincipal("key_bench_" + ApiKeyHash.of(key).toHex().substring(0, 12), ACCOUNT,
                    TIER, Set.of()));
            // (kept from an earlier run: its credit is still more than any run spends)
            database.ledger().open(ACCOUNT, CREDIT_MICROS);
            keys = database.keyStore();
            ledger = database.ledger();
        } else {
            InMemoryApiKeyStore memoryKeys = new InMemoryApiKeyStore();
            memoryKeys.add(key, principal);
            InMemoryLedger memoryLedger = new InMemoryLedger();
            memoryLedger.open(ACCOUNT, CREDIT_MICROS);
            keys = memoryKeys;
            ledger = memoryLedger;
        }
        CachingApiKeyStore cache = null;
        if (database != null && redis != null) {
            cache = CachingApiKeyStore.connect(keys, redis);
            keys = cache;
        }
        RateLimiter limiter = redis != null ? RedisRateLimiter.connect(redis, "bastion-bench:" + UUID.randomUUID() + ":",
                null, RedisRateLimiter.DEFAULT_TIMEOUT) : new InMemoryRateLimiter();
        TierTable tiers = new TierTable();
        tiers.set(TIER, LIMITS);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Bastion.Builder builder = Bastion.builder().port(port).keyStore(keys)
                .rateLimiter(limiter)
                .ledger(ledger)
                .tiers(tiers)
                .prices(PriceBook.defaults())
                .meterRegistry(registry);
        if (ioThreads != null) {
            builder.ioThreads(ioThreads);
        }
        if (maxInFlight != null) {
            builder.maxInFlightPerWorker(maxInFlight);
        }
        workers.forEach(w -> builder.worker(MODEL, w));
        try (Bastion gateway = builder.build().start()) {
            System.out.println(READY + gateway.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the benchmark closes our standard input, or exits
            }
        } finally {
            registry.close();
            if (limiter instanceof RedisRateLimiter r) {
                r.close();
            }
            if (cache != null) {
                cache.close();
            }
            if (database != null) {
                database.close();
            }
        }
    }
}
