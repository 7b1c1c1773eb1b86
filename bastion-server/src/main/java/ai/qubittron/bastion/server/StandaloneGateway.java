package ai.qubittron.bastion.server;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.jdbc.PostgresBackend;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.netty.admin.AdminBackend;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.GatewayView;
import ai.qubittron.bastion.netty.admin.InMemoryAdminBackend;
import ai.qubittron.bastion.redis.CachingApiKeyStore;
import ai.qubittron.bastion.redis.RedisRateLimiter;
import ai.qubittron.bastion.server.config.ServerConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.limit.RateLimiter;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The standalone server, started from a {@link ServerConfig}: the shared backends (Redis, PostgreSQL) or
 * in-memory stores, the configured accounts and keys, any simulated workers, the gateway with its
 * workers, and the admin API (which also serves the meters, with JVM and Netty allocator basics, in
 * Prometheus text at {@code GET /metrics}). What {@code bastion serve} and {@code bastion demo} run.
 *
 * <p>Thread-safe; {@link #close()} stops everything it started, the gateway first (draining), the shared
 * connections last.
 */
public final class StandaloneGateway implements AutoCloseable {

    private final ServerConfig config;
    private final Bastion gateway;
    private final List<SimulatedWorker> simulated;
    private final Ledger ledger;
    private final AdminServer admin;
    private final Metrics metrics;
    /** The connections to Redis and PostgreSQL, closed last. */
    private final List<AutoCloseable> shared;

    private StandaloneGateway(ServerConfig config, Bastion gateway, AdminServer admin, Metrics metrics,
                              List<SimulatedWorker> simulated, Ledger ledger, List<AutoCloseable> shared) {
        this.config = config;
        this.gateway = gateway;
        this.admin = admin;
        this.metrics = metrics;
        this.simulated = simulated;
        this.ledger = ledger;
        this.shared = shared;
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
     * Connects the backends, opens the configured accounts and keys, starts the simulated workers, the
     * gateway and the admin API.
     *
     * @throws IllegalStateException    when a port cannot be bound
     * @throws IllegalArgumentException when the TLS files cannot be used
     * @throws RuntimeException         when Redis or PostgreSQL cannot be reached (nothing is left running)
     */
    public static StandaloneGateway start(ServerConfig config) {
        TierTable tiers = new TierTable();
        config.tiers().forEach(tiers::set);
        PriceBook prices = new PriceBook(config.defaultPrice());
        config.prices().forEach(prices::set);
        ServerConfig.Backends backends = config.backends();
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
                // every node opens the configured accounts and registers their keys, once for all
                for (ServerConfig.Account account : config.accounts()) {
                    postgres.ledger().open(account.id(), account.balanceMicros(), account.tier());
                    for (ServerConfig.Key key : account.keys()) {
                        postgres.keyStore().addHash(key.hash(), principal(account, key));
                    }
                }
                ledger = postgres.ledger();
                CachingApiKeyStore cache = null;
                if (backends.redisUri() != null) {
                    // with Redis too: key lookups cached on each node, revocations announced to all
                    cache = CachingApiKeyStore.connect(postgres.keyStore(), backends.redisUri());
                    shared.add(cache);
                }
                keys = cache != null ? cache : postgres.keyStore();
                backend = new SharedAdminBackend(postgres.keyStore(), cache, postgres.ledger(), tiers, prices,
                        config.catalog());
            } else {
                InMemoryApiKeyStore memoryKeys = new InMemoryApiKeyStore();
                InMemoryLedger memoryLedger = new InMemoryLedger();
                InMemoryAdminBackend memory = new InMemoryAdminBackend(memoryKeys, memoryLedger, tiers, prices,
                        config.catalog());
                for (ServerConfig.Account account : config.accounts()) {
                    memoryLedger.open(account.id(), account.balanceMicros());
                    memory.registerAccount(account.id(), account.tier());
                    for (ServerConfig.Key key : account.keys()) {
                        memoryKeys.addHash(key.hash(), principal(account, key));
                    }
                }
                keys = memoryKeys;
                ledger = memoryLedger;
                backend = memory;
            }
        } catch (RuntimeException e) {
            closeAll(shared);
            throw e;
        }
        Metrics metrics = Metrics.start();
        List<SimulatedWorker> simulated = new ArrayList<>();
        try {
            Bastion.Builder builder = Bastion.builder()
                    .host(config.listener().host())
                    .catalog(config.catalog())
                    .keyStore(keys)
                    .meterRegistry(metrics.registry())
                    .rateLimiter(limiter)
                    .ledger(ledger)
                    .tiers(tiers)
                    .prices(prices)
                    .port(config.listener().port());
            config.gateway().applyTo(builder);
            if (config.tls() != null) {
                builder.tls(config.tls().certificate(), config.tls().privateKey());
                if (config.tls().redirectPort() != null) {
                    builder.httpRedirectPort(config.tls().redirectPort());
                }
            }
            if (config.listener().ioThreads() != null) {
                builder.ioThreads(config.listener().ioThreads());
            }
            for (ServerConfig.Worker worker : config.workers()) {
                for (String model : worker.models()) {
                    builder.worker(model, worker.url());
                }
            }
            long seed = 1;
            for (ServerConfig.SimulatedWorkers group : config.simulated()) {
                // a simulated worker answers to the names the gateway sends it: the models' upstream names
                Map<String, String> upstreamNames = new HashMap<>();
                for (String model : group.models()) {
                    upstreamNames.put(model, config.catalog().find(model).upstreamName());
                }
                for (int i = 0; i < group.count(); i++) {
                    SimulatedWorker worker = SimulatedWorker.builder().port(0)
                            .models(group.models().stream().map(upstreamNames::get).distinct().toList())
                            .config(group.speed()).seed(seed++).build().start();
                    simulated.add(worker);
                    for (String model : group.models()) {
                        builder.worker(model, URI.create(worker.baseUrl()));
                    }
                }
            }
            Bastion gateway = builder.build().start();
            try {
                AdminServer admin = config.admin().enabled()
                        ? AdminServer.start(config.admin().host(), config.admin().port(), config.admin().token(), backend,
                                metrics.registry()::scrape, GatewayView.of(gateway))
                        : null;
                return new StandaloneGateway(config, gateway, admin, metrics, simulated, ledger, shared);
            } catch (RuntimeException e) {
                gateway.close();
                throw e;
            }
        } catch (RuntimeException e) {
            simulated.forEach(SimulatedWorker::close);
            metrics.close();
            closeAll(shared);
            throw e;
        }
    }

    private static ApiPrincipal principal(ServerConfig.Account account, ServerConfig.Key key) {
        return new ApiPrincipal(key.id(), account.id(), account.tier(), key.models());
    }

    /** The configuration it runs. */
    public ServerConfig config() {
        return config;
    }

    /** The gateway. */
    public Bastion gateway() {
        return gateway;
    }

    /** The simulated workers it started, in the order of the configuration. */
    public List<SimulatedWorker> simulatedWorkers() {
        return simulated;
    }

    /** The ledger of the accounts (in memory or PostgreSQL). */
    public Ledger ledger() {
        return ledger;
    }

    /** The admin API, or {@code null} when {@code admin.enabled} is false. */
    public AdminServer admin() {
        return admin;
    }

    /** The models of the catalog that no worker serves (their requests get 502); for a warning at start. */
    public List<String> modelsWithoutWorkers() {
        return config.catalog().models().stream().map(ModelInfo::id)
                .filter(id -> gateway.workers(id).isEmpty()).toList();
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        gateway.close();
        simulated.forEach(SimulatedWorker::close);
        metrics.close();
        closeAll(shared);
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
