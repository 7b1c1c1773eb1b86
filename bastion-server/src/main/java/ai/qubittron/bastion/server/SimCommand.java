package ai.qubittron.bastion.server;

import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.sim.SimulatedWorker;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bastion sim}: one simulated GPU worker, for benchmarks and trying the gateway against it. */
@Command(name = "sim", mixinStandardHelpOptions = true, description = "Run one simulated GPU worker (OpenAI-compatible).")
final class SimCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "9000", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--models", split = ",", description = "Models to serve (default: every model of the default catalog).")
    List<String> models;

    @Mixin
    SimSpeedOptions speeds = new SimSpeedOptions();

    @Option(names = "--max-running", defaultValue = "64", description = "Sequences decoded at once (default: ${DEFAULT-VALUE}).")
    int maxRunning;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated text (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws InterruptedException {
        List<String> served = models != null ? models : ModelCatalog.defaults().models().stream().map(ModelInfo::id).toList();
        SimulatedWorker sim = SimulatedWorker.builder()
                .host(host)
                .port(port)
                .models(served)
                .seed(seed)
                .config(speeds.config().maxRunning(maxRunning).build())
                .build()
                .start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stopped.countDown();
        }, "bastion-sim-shutdown"));
        System.out.println("Simulated GPU worker listening on " + sim.baseUrl() + " serving " + served);
        stopped.await();
        return 0;
    }
}
