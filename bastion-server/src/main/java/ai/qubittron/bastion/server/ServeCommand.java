package ai.qubittron.bastion.server;

import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.dashboard.Dashboard;
import ai.qubittron.bastion.server.config.ConfigException;
import ai.qubittron.bastion.server.config.ConfigFiles;
import ai.qubittron.bastion.server.config.ConfigNode;
import ai.qubittron.bastion.server.config.ConfigReference;
import ai.qubittron.bastion.server.config.ServerConfig;
import ai.qubittron.bastion.server.config.ServerConfigReader;
import ai.qubittron.bastion.sim.SimulatedWorker;
import io.lettuce.core.RedisConnectionException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bastion serve}: the standalone gateway from a configuration file (YAML or JSON), with the command
 * line's flags over it. A configuration that cannot be used stops the start before anything listens,
 * with the file, the line, the key and the reason.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 130,
        description = {"Run the gateway from a configuration file: listeners, TLS, catalog, prices, tiers, workers, "
                + "backends, accounts.",
                "Flags override the file: --set KEY=VALUE for any key, then the named flags."},
        footerHeading = "%nConfiguration file keys:%n")
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "The configuration file: YAML, or JSON when it ends in .json.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Set one key over the file, e.g. --set listener.port=9090, --set gateway.drain_timeout=30s, "
                    + "--set 'workers[0].url=http://gpu-1:8000' (the value is read as YAML). Repeatable, in order.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--host", description = "listener.host")
    String host;

    @Option(names = "--port", description = "listener.port")
    Integer port;

    @Option(names = "--io-threads", description = "listener.io_threads")
    Integer ioThreads;

    @Option(names = "--admin-host", description = "admin.host")
    String adminHost;

    @Option(names = "--admin-port", description = "admin.port")
    Integer adminPort;

    @Option(names = "--redis", paramLabel = "URI", description = "backends.redis")
    String redis;

    @Option(names = "--postgres", paramLabel = "JDBC_URL", description = "backends.postgres")
    String postgres;

    @Option(names = "--check", description = "Check the configuration, print what it would run, and exit (0: usable).")
    boolean check;

    /** Where environment variables come from; a test's own map. */
    Function<String, String> environment = System::getenv;

    /** The reference printed under the options by {@code --help}. */
    static String[] footer() {
        // picocli formats the footer and expands ${...} in it: both written escaped
        return ConfigReference.lines().stream().map(line -> line.replace("%", "%%").replace("$$", "$$$$").replace("${", "$${"))
                .toArray(String[]::new);
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig serverConfig;
        try {
            serverConfig = read();
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("bastion serve: " + e.getMessage());
            return 2;
        }
        PrintStream out = System.out;
        if (check) {
            ServerConfig.Listener l = serverConfig.listener();
            out.println("configuration is usable: it would listen on " + (serverConfig.tls() != null ? "https" : "http")
                    + "://" + l.host() + ":" + l.port() + (serverConfig.admin().enabled()
                    ? ", admin API on " + serverConfig.admin().host() + ":" + serverConfig.admin().port() : ""));
            describe(serverConfig, out);
            return 0;
        }
        StandaloneGateway server;
        try {
            server = StandaloneGateway.start(serverConfig);
        } catch (IllegalArgumentException | IllegalStateException e) {
            spec.commandLine().getErr().println("bastion serve: " + e.getMessage());
            return 1;
        } catch (RedisConnectionException e) {
            spec.commandLine().getErr().println("bastion serve: backends.redis: cannot reach "
                    + ServerConfig.Backends.display(serverConfig.backends().redisUri()) + ": " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "bastion-shutdown"));
        out.println("Bastion listening on " + server.gateway().baseUrl()
                + (server.gateway().tls() ? "  (" + server.gateway().tlsDescription() + ")" : ""));
        if (serverConfig.tls() != null && serverConfig.tls().redirectPort() != null) {
            out.println("  http://" + serverConfig.listener().host() + ":" + server.gateway().redirectPort()
                    + " redirects to it");
        }
        describe(serverConfig, out);
        if (!server.simulatedWorkers().isEmpty()) {
            out.println("  simulated workers: " + server.simulatedWorkers().stream().map(SimulatedWorker::baseUrl).toList());
        }
        List<String> idle = server.modelsWithoutWorkers();
        if (!idle.isEmpty()) {
            out.println("  warning: no worker serves " + idle + ": their requests get 502");
        }
        if (server.admin() != null) {
            out.println("  admin API: http://" + serverConfig.admin().host() + ":" + server.admin().port() + "/admin/v1/"
                    + "  metrics: http://" + serverConfig.admin().host() + ":" + server.admin().port()
                    + AdminServer.METRICS_PATH);
            out.println("  dashboard (sign in with the admin token): http://" + serverConfig.admin().host() + ":"
                    + server.admin().port() + Dashboard.PATH);
        }
        out.flush();
        stopped.await();
        return 0;
    }

    /** The file, then each --set, then each named flag (taken as written, not as YAML). */
    ServerConfig read() {
        ConfigFiles files = new ConfigFiles(environment);
        ConfigNode root = config != null ? files.read(config) : ConfigFiles.empty();
        for (String set : sets) {
            files.override(root, set);
        }
        flag(files, root, "listener.host", host, "--host", false);
        flag(files, root, "listener.port", port, "--port", true);
        flag(files, root, "listener.io_threads", ioThreads, "--io-threads", true);
        flag(files, root, "admin.host", adminHost, "--admin-host", false);
        flag(files, root, "admin.port", adminPort, "--admin-port", true);
        flag(files, root, "backends.redis", redis, "--redis", false);
        flag(files, root, "backends.postgres", postgres, "--postgres", false);
        return new ServerConfigReader(ServerConfigReader.baseDirectory(config), environment).read(root);
    }

    private static void flag(ConfigFiles files, ConfigNode root, String key, Object value, String flag, boolean yaml) {
        if (value != null) {
            files.set(root, key, value.toString(), yaml, flag);
        }
    }

    private static void describe(ServerConfig c, PrintStream out) {
        out.println("  models: " + c.catalog().models().size() + ", workers: " + c.workers().size()
                + (c.simulated().isEmpty() ? "" : ", simulated workers: "
                + c.simulated().stream().mapToInt(ServerConfig.SimulatedWorkers::count).sum())
                + ", tiers: " + c.tiers().keySet().stream().sorted().toList()
                + ", accounts: " + c.accounts().size()
                + ", keys: " + c.accounts().stream().mapToInt(a -> a.keys().size()).sum());
        for (ServerConfig.Worker w : c.workers()) {
            out.println("  worker " + w.url() + ": " + w.models());
        }
        out.println("  rate limits: " + (c.backends().redisUri() != null ? "Redis at " + ServerConfig.Backends.display(c.backends().redisUri()) : "in memory")
                + "; accounts and keys: " + (c.backends().postgresUrl() != null
                ? "PostgreSQL at " + ServerConfig.Backends.display(c.backends().postgresUrl()) : "in memory"));
    }
}
