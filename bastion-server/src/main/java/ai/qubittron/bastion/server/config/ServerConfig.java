package ai.qubittron.bastion.server.config;

import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.jdbc.PostgresBackend;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The standalone server's whole configuration, checked and immutable: what {@code bastion serve} reads from
 * its file (see {@link ServerConfigReader}) and the command line's overrides, and what {@code bastion demo}
 * builds for its simulated deployment.
 *
 * @param listener  the client listener
 * @param tls       HTTPS on the listener's port, or {@code null} for plain HTTP
 * @param admin     the admin API's listener, which also serves {@code /metrics}
 * @param gateway   the gateway's tuning ({@link ai.qubittron.bastion.netty.Bastion.Builder} settings)
 * @param catalog   the models served
 * @param prices    the price of each model, by catalog id, over {@code defaultPrice}
 * @param defaultPrice the price of a model without one of its own
 * @param tiers     the rate limits of each tier, by name ({@code default} always present)
 * @param workers   the GPU workers, each with the catalog ids it serves
 * @param simulated groups of simulated workers started in-process
 * @param backends  where shared state lives; in memory when absent
 * @param accounts  the accounts (and their keys, by hash) that exist at start
 */
public record ServerConfig(Listener listener, Tls tls, Admin admin, GatewaySettings gateway, ModelCatalog catalog,
                           Map<String, ModelPrice> prices, ModelPrice defaultPrice, Map<String, RateLimits> tiers,
                           List<Worker> workers, List<SimulatedWorkers> simulated, Backends backends,
                           List<Account> accounts) {

    public ServerConfig {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(catalog, "catalog");
        prices = Map.copyOf(prices);
        Objects.requireNonNull(defaultPrice, "defaultPrice");
        tiers = Map.copyOf(tiers);
        workers = List.copyOf(workers);
        simulated = List.copyOf(simulated);
        Objects.requireNonNull(backends, "backends");
        accounts = List.copyOf(accounts);
    }

    /**
     * @param host      address to listen on
     * @param port      port (0: any free one); with TLS, the HTTPS port
     * @param ioThreads event loops, or {@code null} for one per processor
     */
    public record Listener(String host, int port, Integer ioThreads) {
    }

    /**
     * @param certificate  PEM certificate chain
     * @param privateKey   PEM private key (PKCS#8, unencrypted)
     * @param redirectPort a plain-HTTP port that answers 308 to the HTTPS one, or {@code null}
     */
    public record Tls(Path certificate, Path privateKey, Integer redirectPort) {
    }

    /**
     * @param enabled whether the admin API runs
     * @param host    its address (loopback unless meant otherwise)
     * @param port    its port
     * @param token   its bearer token, at least 16 characters; {@code null} only when disabled
     */
    public record Admin(boolean enabled, String host, int port, String token) {
        @Override
        public String toString() {
            return "Admin[enabled=" + enabled + ", host=" + host + ", port=" + port + ", token=(hidden)]";
        }
    }

    /** A GPU worker: its base URL and the catalog ids it serves. */
    public record Worker(URI url, List<String> models) {
        public Worker {
            models = List.copyOf(models);
        }
    }

    /** {@code count} simulated workers serving {@code models} (catalog ids) at {@code speed}. */
    public record SimulatedWorkers(int count, List<String> models, SimConfig speed) {
        public SimulatedWorkers {
            models = List.copyOf(models);
        }
    }

    /**
     * @param redisUri    the rate limiter's Redis ({@code redis://host:port}), or {@code null}: in memory
     * @param postgresUrl the ledger's and key store's PostgreSQL ({@code jdbc:postgresql://…}), or {@code null}
     */
    public record Backends(String redisUri, String postgresUrl) {
        /** Everything in memory. */
        public static final Backends IN_MEMORY = new Backends(null, null);

        /**
         * A URI or JDBC URL fit to print: its password ({@code user:password@}, {@code password=}) hidden.
         *
         * @param uri a Redis URI or a JDBC URL, or {@code null}
         * @return it without its password
         */
        public static String display(String uri) {
            return PostgresBackend.redact(uri);
        }

        @Override
        public String toString() {
            // a JDBC URL (or a Redis URI) may carry a password
            return "Backends[redis=" + (redisUri == null ? null : "(set)") + ", postgres="
                    + (postgresUrl == null ? null : "(set)") + "]";
        }
    }

    /**
     * An account that exists at start: opened with {@code balanceMicros} of credit if it does not exist yet
     * (a shared ledger's existing account keeps its balance).
     */
    public record Account(String id, String tier, long balanceMicros, List<Key> keys) {
        public Account {
            keys = List.copyOf(keys);
        }
    }

    /** A key of an account, by its SHA-256 hash: the key itself is never in the configuration. */
    public record Key(String id, ApiKeyHash hash, Set<String> models) {
        public Key {
            models = Set.copyOf(models);
        }
    }
}
