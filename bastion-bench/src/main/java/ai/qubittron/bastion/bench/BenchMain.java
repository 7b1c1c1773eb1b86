package ai.qubittron.bastion.bench;

import ai.qubittron.bastion.bench.e2e.OverheadBenchmark;
import ai.qubittron.bastion.bench.e2e.StreamsBenchmark;
import ai.qubittron.bastion.bench.scheduler.SchedulerSimulationBenchmark;
import java.util.Arrays;

/**
 * The entry point of {@code ./bastion bench}: {@code scheduler} runs the scheduler simulation
 * ({@link SchedulerSimulationBenchmark}), {@code overhead} the gateway against nginx in front of one upstream
 * ({@link OverheadBenchmark}), {@code streams} many concurrent streams ({@link StreamsBenchmark}), {@code jmh} the JMH micro-benchmarks with JMH's own arguments.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "--help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (command) {
            case "scheduler":
                SchedulerSimulationBenchmark.main(rest);
                break;
            case "overhead":
                OverheadBenchmark.main(rest);
                break;
            case "streams":
                StreamsBenchmark.main(rest);
                break;
            case "jmh":
                org.openjdk.jmh.Main.main(rest);
                break;
            case "-h":
            case "--help":
                usage(System.out);
                break;
            default:
                System.err.println("bench: unknown benchmark '" + command + "'");
                usage(System.err);
                System.exit(2);
        }
    }

    private static void usage(java.io.PrintStream out) {
        out.println("usage: bastion bench <benchmark> [options]");
        out.println("  scheduler [--quick] [--duration S] [--seed N]   the scheduler against other policies, simulated");
        out.println("  overhead [--quick] [--rounds N] [--seconds S]  the gateway's cost per request against nginx (wrk, /proc)");
        out.println("  streams [--quick] [--streams N]               many concurrent streams through the gateway, against direct");
        out.println("  jmh [JMH options]                               the JMH micro-benchmarks (e.g. jmh SchedulerBenchmark -prof gc)");
    }
}
