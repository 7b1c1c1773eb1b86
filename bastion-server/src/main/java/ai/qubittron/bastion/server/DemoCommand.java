package ai.qubittron.bastion.server;

import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
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

    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--demo-key", description = "The API key to accept (qbt_…); a random one when absent.")
    String demoKey;

    @Option(names = "--workers", defaultValue = "2", description = "Simulated workers, each serving every model (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--inter-token-millis", defaultValue = "20",
            description = "Simulated time between output tokens, ms (default: ${DEFAULT-VALUE}).")
    int interTokenMillis;

    @Option(names = "--prefill-micros-per-token", defaultValue = "200",
            description = "Simulated prompt processing time per token, µs (default: ${DEFAULT-VALUE}).")
    int prefillMicrosPerToken;

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
        SimConfig simConfig = SimConfig.builder()
                .interTokenMillis(interTokenMillis)
                .prefillMicrosPerToken(prefillMicrosPerToken)
                .build();
        String token = adminToken != null && !adminToken.isEmpty() ? adminToken : ApiKeyHash.newKey().substring(4);
        if (token.length() < 16) {
            System.err.println("--admin-token must have at least 16 characters");
            return 2;
        }
        DemoGateway demo = DemoGateway.start(host, port, key, workers, simConfig, ioThreads, adminHost, adminPort, token);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stopped.countDown();
        }, "bastion-shutdown"));

        PrintStream out = System.out;
        String base = demo.gateway().baseUrl();
        out.println("Bastion demo gateway listening on " + base);
        out.println("  simulated GPU workers: " + demo.workers().stream().map(SimulatedWorker::baseUrl).toList());
        out.println("  API key: " + key + "  (account " + DemoGateway.DEMO_ACCOUNT + ", tier " + DemoGateway.DEMO_TIER + ")");
        out.println("  admin API: http://" + adminHost + ":" + demo.admin().port() + "/admin/v1/  token: "
                + (adminToken != null && !adminToken.isEmpty() ? "(from --admin-token / BASTION_ADMIN_TOKEN)" : token));
        out.println("  metrics (Prometheus text, no token): http://" + adminHost + ":" + demo.admin().port()
                + AdminServer.METRICS_PATH);
        out.println();
        out.println("Try it:");
        out.println("  curl " + base + "/chat/completions \\");
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
