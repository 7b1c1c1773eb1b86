package ai.qubittron.bastion.server;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.jdbc.PostgresBackend;
import ai.qubittron.bastion.netty.admin.AdminBackend;
import ai.qubittron.bastion.redis.CachingApiKeyStore;
import ai.qubittron.bastion.redis.RedisRateLimiter;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.InMemoryAdminBackend;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The demo deployment: simulated GPU workers that each serve every model of the default catalog, and
 * the gateway in front of them with in-memory stores: one key, on an account with ample credit, in a
 * tier with ample limits, metered at the default catalog's prices; and the admin API to manage them,
 * which also serves the gateway's meters, with JVM and Netty allocator basics, in Prometheus text at
 * {@code GET /metrics}.
 */
final class DemoGateway implements AutoCloseable {

    /** The demo key's account. */
    static final String DEMO_ACCOUNT = "acct_demo";
    /** The demo account's starting credit: 1,000,000,000 micro-units (1,000 dollars). */
    static final long DEMO_CREDIT_MICROS = 1_000_000_000L;
    /** The demo key's tier, with ample limits. */
    static final String DEMO_TIER = "demo";
    /** The demo tier's limits: 6,000 requests and 10,000,000 tokens per minute. */
    static final RateLimits DEMO_LIMITS = new RateLimits(6_000, 10_000_000);
    private static final String DEMO_KEY_ID = "key_demo";

    private final Bastion gateway;
    private final List<SimulatedWorker> workers;
    private final String key;
    private final Ledger ledger;
    private final AdminServer admin;
    private final Metrics metrics;

    /** The connections to Redis and PostgreSQL, closed last. */
    private final List<AutoCloseable> shared;

    private DemoGateway(Bastion gateway, AdminServer admin, Metrics metrics, List<SimulatedWorker> workers, String key,
                        Ledger ledger, List<AutoCloseable> shared) {
        this.shared = shared;
        this.gateway = gateway;
        this.admin = admin;
        this.metrics = metrics;
        this.workers = workers;
        this.key = key;
        this.ledger = ledger;
    }

    /** The Prometheus registry and the JVM binder that must be closed with it. */
    private record Metrics(PrometheusMeterRegistry registry, JvmGcMetrics gc) implements AutoCloseable {

        /** A Prometheus registry with the JVM basics and the client connections' allocator bound: cheap gauges. */
        static Metrics start() {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
            JvmGcMetrics gc = new JvmGcMetrics();
            gc.bindTo(registry);
            return new Metrics(registry, gc);
        }

        @Override
        public void close() {
            gc.close();
            registry.close();
        }
    }

    /**
     * Starts the workers, then the gateway.
     *
     * @param ioThreads gateway event loops, or {@code null} for the default
     * @throws IllegalArgumentException when the key does not start with {@code qbt_}
     */
    static DemoGateway start(String host, int port, String key, int workerCount, SimConfig simConfig, Integer ioThreads,
                             String adminHost, int adminPort, String adminToken) {
        return start(host, port, key, workerCount, simConfig, ioThreads, adminHost, adminPort, adminToken, null);
    }

    /**
     * HTTPS for the demo: the gateway serves TLS on {@code port} with these PEM files, and the plain port
     * answers every request with a redirect to it.
     */
    record Https(Path certificate, Path privateKey, int port) {
    }

    /**
     * Where the state that several gateway nodes share lives; {@code null} fields are kept in memory.
     *
     * @param redisUri    the Redis of the rate limiter ({@code redis://host:port}), so that demo nodes pointed
     *                    at the same Redis share their limits
     * @param postgresUrl the PostgreSQL of the ledger and the key store ({@code jdbc:postgresql://…}), so that
     *                    demo nodes pointed at it share accounts, credit and keys
     */
    record Backends(String redisUri, String postgresUrl) {
        static final Backends IN_MEMORY = new Backends(null, null);
    }

    /** As above; with {@code https}, the gateway serves HTTPS on its port and {@code port} redirects to it. */
    static DemoGateway start(String host, int port, String key, int workerCount, SimConfig simConfig, Integer ioThreads,
                             String adminHost, int adminPort, String adminToken, Https https) {
        return start(host, port, key, workerCount, simConfig, ioThreads, adminHost, adminPort, adminToken, https,
                Backends.IN_MEMORY);
    }

    /** As above, with the shared state in {@code backends}. */
    static DemoGateway start(String host, int port, String key, int workerCount, SimConfig simConfig, Integer ioThreads,
                             String adminHost, int adminPort, String adminToken, Https https, Backends backends) {
        TierTable tiers = new TierTable();
        tiers.set(DEMO_TIER, DEMO_LIMITS);
        PriceBook prices = PriceBook.defaults();
        List<String> models = ModelCatalog.defaults().models().stream().map(ModelInfo::id).toList();
        List<SimulatedWorker> workers = new ArrayList<>();
        // connected at once: an unreachable Redis or PostgreSQL fails the start, naming it
        List<AutoCloseable> shared = new ArrayList<>();
        ApiKeyStore keys;
        Ledger ledger;
        AdminBackend backend;
        RateLimiter limiter;
        try {
            if (backends.redisUri() != null) {
                RedisRateLimiter redis = RedisRateLimiter.connect(backends.redisUri());
                shared.add(redis);
                limiter = redis;
            } else {
                limiter = new InMemoryRateLimiter();
            }
            if (backends.postgresUrl() != null) {
                PostgresBackend postgres = PostgresBackend.connect(backends.postgresUrl());
                shared.add(postgres);
                // every node of the demo registers its key and opens the account, once for all
                postgres.keyStore().add(key, new ApiPrincipal(sharedKeyId(key), DEMO_ACCOUNT, DEMO_TIER, Set.of()));
                postgres.ledger().open(DEMO_ACCOUNT, DEMO_CREDIT_MICROS, DEMO_TIER);
                ledger = postgres.ledger();
                CachingApiKeyStore cache = null;
                if (backends.redisUri() != null) {
                    // with Redis too: key lookups cached on each node, revocations announced to all
                    cache = CachingApiKeyStore.connect(postgres.keyStore(), backends.redisUri());
                    shared.add(cache);
                }
                keys = cache != null ? cache : postgres.keyStore();
                backend = new SharedAdminBackend(postgres.keyStore(), cache, postgres.ledger(), tiers, prices,
                        ModelCatalog.defaults());
            } else {
                InMemoryApiKeyStore memoryKeys = new InMemoryApiKeyStore();
                memoryKeys.add(key, new ApiPrincipal(DEMO_KEY_ID, DEMO_ACCOUNT, DEMO_TIER, Set.of()));
                InMemoryLedger memoryLedger = new InMemoryLedger();
                memoryLedger.open(DEMO_ACCOUNT, DEMO_CREDIT_MICROS);
                InMemoryAdminBackend memory = new InMemoryAdminBackend(memoryKeys, memoryLedger, tiers, prices,
                        ModelCatalog.defaults());
                memory.registerAccount(DEMO_ACCOUNT, DEMO_TIER);
                keys = memoryKeys;
                ledger = memoryLedger;
                backend = memory;
            }
        } catch (RuntimeException e) {
            closeAll(shared);
            throw e;
        }
        Metrics metrics = Metrics.start();
        try {
            Bastion.Builder builder = Bastion.builder().host(host).keyStore(keys)
                    .meterRegistry(metrics.registry())
                    .rateLimiter(limiter)
                    .ledger(ledger)
                    .tiers(tiers)
                    .prices(prices);
            if (https == null) {
                builder.port(port);
            } else {
                builder.port(https.port()).tls(https.certificate(), https.privateKey()).httpRedirectPort(port);
            }
            if (ioThreads != null) {
                builder.ioThreads(ioThreads);
            }
            for (int i = 0; i < workerCount; i++) {
                SimulatedWorker worker = SimulatedWorker.builder().port(0).models(models).config(simConfig).seed(i + 1)
                        .build().start();
                workers.add(worker);
                builder.workerForAllModels(URI.create(worker.baseUrl()));
            }
            Bastion gateway = builder.build().start();
            try {
                AdminServer admin = AdminServer.start(adminHost, adminPort, adminToken, backend, metrics.registry()::scrape);
                return new DemoGateway(gateway, admin, metrics, workers, key, ledger, shared);
            } catch (RuntimeException e) {
                gateway.close();
                throw e;
            }
        } catch (RuntimeException e) {
            workers.forEach(SimulatedWorker::close);
            metrics.close();
            closeAll(shared);
            throw e;
        }
    }

    Bastion gateway() {
        return gateway;
    }

    List<SimulatedWorker> workers() {
        return workers;
    }

    String key() {
        return key;
    }

    Ledger ledger() {
        return ledger;
    }

    AdminServer admin() {
        return admin;
    }

    @Override
    public void close() {
        admin.close();
        gateway.close();
        workers.forEach(SimulatedWorker::close);
        metrics.close();
        closeAll(shared);
    }

    /** The demo key's id in a shared key store: one per key, so that nodes started with other keys all work. */
    private static String sharedKeyId(String key) {
        return "key_demo_" + ApiKeyHash.of(key).toHex().substring(0, 12);
    }

    private static void closeAll(List<AutoCloseable> closeables) {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // closing on the way out: nothing more to do with it
            }
        }
    }
}
