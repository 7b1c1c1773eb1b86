package ai.qubittron.bastion.sim;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link SimulatedWorker} from the command line, for benchmarks and demos:
 * <pre>
 * java -cp … ai.qubittron.bastion.sim.SimulatedWorkerMain --port 8001 --models gpt-oss-120b,Qwen3-32B \
 *     --inter-token-millis 10 --prefill-micros-per-token 100 --seed 42
 * </pre>
 * Options (all optional): {@code --host}, {@code --port} (default 8000), {@code --models a,b},
 * {@code --seed}, {@code --threads}, {@code --overhead-millis}, {@code --prefill-micros-per-token},
 * {@code --inter-token-millis}, {@code --max-running}, {@code --slowdown-per-running},
 * {@code --default-max-tokens}, {@code --kv-cache-tokens}, {@code --transcription-micros-per-audio-second},
 * {@code --speech-micros-per-audio-second}, {@code --help}. Prints the base URL and
 * serves until the process is stopped.
 */
public final class SimulatedWorkerMain {

    /** Port used when {@code --port} is not given. */
    public static final int DEFAULT_PORT = 8000;

    private SimulatedWorkerMain() {
    }

    /**
     * Parses the options, starts the worker and serves until the process is stopped (a shutdown hook
     * closes it). Bad options print the usage and exit with status 2.
     *
     * @param args the options above
     * @throws InterruptedException when interrupted while serving
     */
    public static void main(String[] args) throws InterruptedException {
        SimulatedWorker worker;
        try {
            worker = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        if (worker == null) {
            System.out.println(usage());
            return;
        }
        worker.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            stopped.countDown();
        }, "bastion-sim-shutdown"));
        System.out.println("bastion-sim serving " + worker.models() + " at " + worker.baseUrl() + " with "
                + worker.config());
        stopped.await();
    }

    /** The worker the arguments describe (not started), or null for {@code --help}. */
    static SimulatedWorker parse(String[] args) {
        SimulatedWorker.Builder worker = SimulatedWorker.builder().port(DEFAULT_PORT);
        SimConfig.Builder config = SimConfig.builder();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help") || option.equals("-h")) {
                return null;
            }
            String value;
            int eq = option.indexOf('=');
            if (option.startsWith("--") && eq > 0) {
                value = option.substring(eq + 1);
                option = option.substring(0, eq);
            } else {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + option);
                }
                value = args[++i];
            }
            switch (option) {
                case "--host" -> worker.host(value);
                case "--port" -> worker.port(intArg(option, value));
                case "--models" -> worker.models(Arrays.stream(value.split(",")).map(String::trim).toList());
                case "--seed" -> worker.seed(longArg(option, value));
                case "--threads" -> worker.eventLoopThreads(intArg(option, value));
                case "--overhead-millis" -> config.overheadMillis(intArg(option, value));
                case "--prefill-micros-per-token" -> config.prefillMicrosPerToken(intArg(option, value));
                case "--inter-token-millis" -> config.interTokenMillis(intArg(option, value));
                case "--max-running" -> config.maxRunning(intArg(option, value));
                case "--slowdown-per-running" -> config.slowdownPerRunning(doubleArg(option, value));
                case "--default-max-tokens" -> config.defaultMaxTokens(intArg(option, value));
                case "--kv-cache-tokens" -> config.kvCacheTokens(intArg(option, value));
                case "--transcription-micros-per-audio-second" ->
                        config.transcriptionMicrosPerAudioSecond(intArg(option, value));
                case "--speech-micros-per-audio-second" -> config.speechMicrosPerAudioSecond(intArg(option, value));
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        return worker.config(config.build()).build();
    }

    static String usage() {
        return String.join(System.lineSeparator(), List.of(
                "usage: SimulatedWorkerMain [--host 127.0.0.1] [--port " + DEFAULT_PORT + "] [--models a,b] [--seed 42]",
                "       [--threads 1] [--overhead-millis 5] [--prefill-micros-per-token 100]",
                "       [--inter-token-millis 10] [--max-running 64] [--slowdown-per-running 0.01]",
                "       [--default-max-tokens 64] [--kv-cache-tokens 65536]",
                "       [--transcription-micros-per-audio-second 1000] [--speech-micros-per-audio-second 4000]"));
    }

    private static int intArg(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be an integer, was '" + value + "'");
        }
    }

    private static long longArg(String option, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be an integer, was '" + value + "'");
        }
    }

    private static double doubleArg(String option, String value) {
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number, was '" + value + "'");
        }
    }
}
