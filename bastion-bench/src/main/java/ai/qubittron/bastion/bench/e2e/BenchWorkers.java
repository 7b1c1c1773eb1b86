package ai.qubittron.bastion.bench.e2e;

import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Simulated GPU workers for the streams benchmark, in a JVM of their own: one per inter-token latency given,
 * each serving {@link BenchGateway#MODEL} with room for every stream at once (no queue, no slowdown under
 * load), so that a stream's tokens come at its worker's pace and any extra gap is the path's.
 *
 * <pre>
 * java -cp benchmarks.jar ai.qubittron.bastion.bench.e2e.BenchWorkers --itl 20,30,40,50 --max-running N
 * </pre>
 *
 * Prints {@value #READY} and the ports, comma-separated in the order of {@code --itl}, and runs until its
 * standard input closes.
 */
public final class BenchWorkers {

    public static final String READY = "bench-workers listening on ";

    private BenchWorkers() {
    }

    public static void main(String[] args) throws IOException {
        List<Integer> itls = new ArrayList<>();
        int maxRunning = 1_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--itl" -> {
                    for (String v : args[i + 1].split(",")) {
                        itls.add(Integer.parseInt(v.trim()));
                    }
                }
                case "--max-running" -> maxRunning = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
        }
        List<SimulatedWorker> workers = new ArrayList<>();
        try {
            for (int i = 0; i < itls.size(); i++) {
                SimConfig config = SimConfig.builder()
                        .overheadMillis(1)
                        .prefillMicrosPerToken(10)
                        .interTokenMillis(itls.get(i))
                        .maxRunning(maxRunning)
                        .slowdownPerRunning(0)
                        .kvCacheTokens(Integer.MAX_VALUE / 2)
                        .build();
                workers.add(SimulatedWorker.builder().port(0).models(BenchGateway.MODEL).config(config).seed(i + 1)
                        .eventLoopThreads(1).build().start());
            }
            System.out.println(READY + workers.stream().map(w -> Integer.toString(w.port())).collect(Collectors.joining(",")));
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the benchmark closes our standard input, or exits
            }
        } finally {
            workers.forEach(SimulatedWorker::close);
        }
    }
}
