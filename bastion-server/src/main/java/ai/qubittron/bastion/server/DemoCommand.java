package ai.qubittron.bastion.server;

import ai.qubittron.bastion.server.config.ServerConfig;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.dashboard.Dashboard;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import io.lettuce.core.RedisConnectionException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bastion demo}: the gateway on its embedded defaults (in-memory key store, the default catalog)
 * in front of simulated GPU workers that serve every model; prints a key and a curl line.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the gateway with in-memory stores in front of simulated GPU workers.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080",
            description = "Port to listen on; with TLS, the plain-HTTP port that redirects to HTTPS (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--redis", paramLabel = "URI",
            description = "Keep the rate limits in this Redis (redis://host:port), shared by every node pointed at it; "
                    + "default: in memory.")
    String redis;

    @Option(names = "--postgres", paramLabel = "JDBC_URL",
            description = "Keep accounts, credit and keys in this PostgreSQL (jdbc:postgresql://host:port/db?user=…), "
                    + "shared by every node pointed at it; the schema is created or migrated; default: in memory.")
    String postgres;

    @Option(names = "--tls", description = "Serve HTTPS (HTTP/2 and HTTP/1.1) with a self-signed certificate for localhost, "
            + "made at start in a temporary directory that is printed, for clients to trust (curl --cacert).")
    boolean tls;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "Certificate chain (PEM) to serve HTTPS with, instead of a self-signed one; needs --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PEM, PKCS#8, unencrypted) of --tls-cert.")
    Path tlsKey;

    @Option(names = "--https-port", defaultValue = "8443", description = "Port of HTTPS when TLS is on (default: ${DEFAULT-VALUE}).")
    int httpsPort;

    @Option(names = "--demo-key", description = "The API key to accept (qbt_…); a random one when absent.")
    String demoKey;

    @Option(names = "--workers", defaultValue = "2", description = "Simulated workers, each serving every model (default: ${DEFAULT-VALUE}).")
    int workers;

    @Mixin
    SimSpeedOptions speeds = new SimSpeedOptions();

    @Option(names = "--io-threads", description = "Gateway event loop threads (default: the number of processors).")
    Integer ioThreads;

    @Option(names = "--admin-port", defaultValue = "8081", description = "Port of the admin API (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--admin-host", defaultValue = "127.0.0.1",
            description = "Address of the admin API, loopback unless you mean it (default: ${DEFAULT-VALUE}).")
    String adminHost;

    @Option(names = "--admin-token", defaultValue = "${env:BASTION_ADMIN_TOKEN}",
            description = "Bearer token of the admin API, at least 16 characters (default: $BASTION_ADMIN_TOKEN, "
                    + "else a random one, printed).")
    String adminToken;

    @Override
    public Integer call() throws InterruptedException {
        String key = demoKey != null ? demoKey : ApiKeyHash.newKey();
        if (!key.startsWith(ApiKeyHash.KEY_PREFIX) || key.length() < ApiKeyHash.KEY_PREFIX.length() + 8) {
            System.err.println("--demo-key must start with " + ApiKeyHash.KEY_PREFIX + " and have at least 8 more characters");
            return 2;
        }
        if (workers < 1) {
            System.err.println("--workers must be at least 1");
            return 2;
        }
        SimConfig simConfig = speeds.config().build();
        String token = adminToken != null && !adminToken.isEmpty() ? adminToken : ApiKeyHash.newKey().substring(4);
        if (token.length() < 16) {
            System.err.println("--admin-token must have at least 16 characters");
            return 2;
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            System.err.println("--tls-cert and --tls-key go together");
            return 2;
        }
        DemoGateway.Https https = null;
        Path generated = null;
        if (tlsCert != null) {
            https = new DemoGateway.Https(tlsCert, tlsKey, httpsPort);
        } else if (tls) {
            Path dir;
            try {
                dir = Files.createTempDirectory("bastion-demo-tls");
            } catch (IOException e) {
                System.err.println("cannot create a directory for the certificate: " + e.getMessage());
                return 1;
            }
            SelfSignedCertificate certificate = SelfSignedCertificate.generate(dir, SelfSignedCertificate.LOCAL_NAMES,
                    Duration.ofDays(30));
            https = new DemoGateway.Https(certificate.certificate(), certificate.privateKey(), httpsPort);
            generated = certificate.certificate();
        }
        DemoGateway demo;
        try {
            demo = DemoGateway.start(host, port, key, workers, simConfig, ioThreads, adminHost, adminPort, token, https,
                    new ServerConfig.Backends(redis, postgres));
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println(e.getMessage());
            return 1;
        } catch (RedisConnectionException e) {
            System.err.println("--redis: cannot reach " + ServerConfig.Backends.display(redis) + ": " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stopped.countDown();
        }, "bastion-shutdown"));

        PrintStream out = System.out;
        String base = demo.gateway().baseUrl();
        out.println("Bastion demo gateway listening on " + base);
        if (https != null) {
            out.println("  TLS " + demo.gateway().tlsDescription() + ", HTTP/2 and HTTP/1.1 (ALPN); "
                    + "http://" + host + ":" + demo.gateway().redirectPort() + " redirects to it");
            out.println("  certificate: " + https.certificate()
                    + (generated != null ? "  (self-signed: give it to clients as the CA, e.g. curl --cacert)" : ""));
        }
        if (redis != null) {
            out.println("  rate limits in Redis at " + ServerConfig.Backends.display(redis) + " (shared by every node pointed at it)");
        }
        if (postgres != null) {
            out.println("  accounts, credit and keys in PostgreSQL at " + ServerConfig.Backends.display(postgres) + " (shared by every node pointed at it)");
        }
        out.println("  simulated GPU workers: " + demo.workers().stream().map(SimulatedWorker::baseUrl).toList());
        out.println("  API key: " + key + "  (account " + DemoGateway.DEMO_ACCOUNT + ", tier " + DemoGateway.DEMO_TIER + ")");
        out.println("  admin API: http://" + adminHost + ":" + demo.admin().port() + "/admin/v1/  token: "
                + (adminToken != null && !adminToken.isEmpty() ? "(from --admin-token / BASTION_ADMIN_TOKEN)" : token));
        out.println("  metrics (Prometheus text, no token): http://" + adminHost + ":" + demo.admin().port()
                + AdminServer.METRICS_PATH);
        out.println("  dashboard (sign in with the admin token): http://" + adminHost + ":" + demo.admin().port()
                + Dashboard.PATH);
        out.println();
        out.println("Try it:");
        out.println("  curl " + (generated != null ? "--cacert " + generated + " " : "") + base + "/chat/completions \\");
        out.println("    -H \"Authorization: Bearer " + key + "\" \\");
        out.println("    -H \"Content-Type: application/json\" \\");
        out.println("    -d '{\"model\": \"gpt-oss-120b\", \"messages\": [{\"role\": \"user\", \"content\": "
                + "\"Reply with exactly: ok\"}], \"max_tokens\": 16}'");
        out.println();
        out.println("Press Ctrl+C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }
}
