package ai.qubittron.bastion.server;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.server.config.GatewaySettings;
import ai.qubittron.bastion.server.config.ServerConfig;
import ai.qubittron.bastion.server.config.ServerConfigReader;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The demo deployment: simulated GPU workers that each serve every model of the default catalog, and
 * the gateway in front of them with in-memory stores: one key, on an account with ample credit, in a
 * tier with ample limits, metered at the default catalog's prices; and the admin API to manage them.
 * A {@link ServerConfig} like any other, run by {@link StandaloneGateway}.
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

    private final StandaloneGateway server;
    private final String key;

    private DemoGateway(StandaloneGateway server, String key) {
        this.server = server;
        this.key = key;
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

    /** As above; with {@code https}, the gateway serves HTTPS on its port and {@code port} redirects to it. */
    static DemoGateway start(String host, int port, String key, int workerCount, SimConfig simConfig, Integer ioThreads,
                             String adminHost, int adminPort, String adminToken, Https https) {
        return start(host, port, key, workerCount, simConfig, ioThreads, adminHost, adminPort, adminToken, https,
                ServerConfig.Backends.IN_MEMORY);
    }

    /** As above, with the shared state in {@code backends}. */
    static DemoGateway start(String host, int port, String key, int workerCount, SimConfig simConfig, Integer ioThreads,
                             String adminHost, int adminPort, String adminToken, Https https,
                             ServerConfig.Backends backends) {
        if (!key.startsWith(ApiKeyHash.KEY_PREFIX)) {
            throw new IllegalArgumentException("the demo key must start with " + ApiKeyHash.KEY_PREFIX);
        }
        ModelCatalog catalog = ModelCatalog.defaults();
        List<String> models = catalog.models().stream().map(ModelInfo::id).toList();
        // in a shared key store, one id per key, so that nodes started with other keys all work
        String keyId = backends.postgresUrl() != null ? sharedKeyId(key) : DEMO_KEY_ID;
        ServerConfig.Account account = new ServerConfig.Account(DEMO_ACCOUNT, DEMO_TIER, DEMO_CREDIT_MICROS,
                List.of(new ServerConfig.Key(keyId, ApiKeyHash.of(key), Set.of())));
        ServerConfig config = new ServerConfig(
                new ServerConfig.Listener(host, https == null ? port : https.port(), ioThreads),
                https == null ? null : new ServerConfig.Tls(https.certificate(), https.privateKey(), port),
                new ServerConfig.Admin(true, adminHost, adminPort, adminToken),
                GatewaySettings.DEFAULTS, catalog, ServerConfigReader.listPrices(catalog), PriceBook.defaults().defaultPrice(),
                Map.of(ApiPrincipal.DEFAULT_TIER, TierTable.DEFAULT_LIMITS, DEMO_TIER, DEMO_LIMITS),
                List.of(), List.of(new ServerConfig.SimulatedWorkers(workerCount, models, simConfig)), backends,
                List.of(account));
        return new DemoGateway(StandaloneGateway.start(config), key);
    }

    Bastion gateway() {
        return server.gateway();
    }

    List<SimulatedWorker> workers() {
        return server.simulatedWorkers();
    }

    String key() {
        return key;
    }

    Ledger ledger() {
        return server.ledger();
    }

    AdminServer admin() {
        return server.admin();
    }

    @Override
    public void close() {
        server.close();
    }

    /** The demo key's id in a shared key store: one per key, so that nodes started with other keys all work. */
    private static String sharedKeyId(String key) {
        return "key_demo_" + ApiKeyHash.of(key).toHex().substring(0, 12);
    }
}
