package ai.qubittron.bastion.bench.scheduler;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scheduler benchmark of {@code ./bastion bench scheduler}: a deterministic discrete-event simulation
 * of the {@linkplain Scenario#standard standard scenario} at 50, 70, 85 and 95 % of the cluster's
 * {@link Capacity}, comparing Bastion's real {@code Scheduler} ({@link BastionPolicy}) with the
 * {@linkplain RoutingPolicy.Kind other policies}. Prints one table per load, the targets checked at 85 %
 * (PASS/FAIL, never an exit status), and last the line
 * {@code ttft-p99 at 85%: vs oracle 1.21x, vs round-robin 0.38x, vs least-outstanding 0.70x}.
 *
 * <p>Options: {@code --quick} ({@value #QUICK_SECONDS} s of arrivals per run instead of
 * {@value #FULL_SECONDS} s), {@code --duration S}, {@code --seed N} (default {@value #DEFAULT_SEED}).
 */
public final class SchedulerSimulationBenchmark {

    static final double[] LOADS = {0.50, 0.70, 0.85, 0.95};
    static final double TARGET_LOAD = 0.85;
    static final double FULL_SECONDS = 7_200;
    static final double QUICK_SECONDS = 600;
    static final long DEFAULT_SEED = 1;

    static final double TARGET_VS_ORACLE = 1.5;
    static final double TARGET_VS_ROUND_ROBIN = 0.5;
    static final double TARGET_VS_LEAST_OUTSTANDING = 0.8;
    static final double TARGET_GOODPUT_VS_ORACLE = 0.9;

    private SchedulerSimulationBenchmark() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the benchmark as the command line asks; returns the exit status (2 for a usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        double seconds = FULL_SECONDS;
        long seed = DEFAULT_SEED;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick":
                        seconds = QUICK_SECONDS;
                        break;
                    case "--duration":
                        seconds = Double.parseDouble(value(args, ++i, "--duration"));
                        break;
                    case "--seed":
                        seed = Long.parseLong(value(args, ++i, "--seed"));
                        break;
                    case "-h":
                    case "--help":
                        usage(out);
                        return 0;
                    default:
                        throw new IllegalArgumentException("unknown option: " + args[i]);
                }
            }
            Scenario.seconds(seconds);
        } catch (IllegalArgumentException e) {
            err.println("bench scheduler: " + e.getMessage());
            usage(err);
            return 2;
        }
        long started = System.nanoTime();
        Scenario scenario = Scenario.standard(seed, seconds);
        Capacity capacity = Capacity.of(scenario);
        printHeader(out, scenario, capacity);
        Map<RoutingPolicy.Kind, RunResult> atTarget = null;
        for (double load : LOADS) {
            Map<RoutingPolicy.Kind, RunResult> results = runLoad(scenario, load * capacity.nominal());
            printTable(out, scenario, load, results);
            if (load == TARGET_LOAD) {
                atTarget = results;
            }
        }
        out.printf(Locale.ROOT, "wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
        printTargets(out, atTarget);
        return 0;
    }

    /** Every policy on the same requests at {@code ratePerSecond}. */
    static Map<RoutingPolicy.Kind, RunResult> runLoad(Scenario scenario, double ratePerSecond) {
        Workload workload = Workload.generate(scenario, ratePerSecond);
        Map<RoutingPolicy.Kind, RunResult> results = new EnumMap<>(RoutingPolicy.Kind.class);
        for (RoutingPolicy.Kind kind : RoutingPolicy.Kind.values()) {
            results.put(kind, new Simulation(scenario, workload, kind).run());
        }
        return results;
    }

    private static void printHeader(PrintStream out, Scenario s, Capacity c) {
        out.printf(Locale.ROOT, "Scheduler benchmark: deterministic discrete-event simulation, seed %d, %.0f s of arrivals"
                + " per load and policy%n", s.seed(), s.durationNanos() / 1e9);
        StringBuilder workers = new StringBuilder();
        List<Scenario.WorkerSpec> specs = s.workers();
        for (int i = 0; i < specs.size();) {
            Scenario.WorkerSpec w = specs.get(i);
            int j = i;
            while (j < specs.size() && specs.get(j).prefillSecondsPerToken() == w.prefillSecondsPerToken()
                    && specs.get(j).itlSeconds() == w.itlSeconds()) {
                j++;
            }
            workers.append(i == 0 ? "" : "; ").append(String.format(Locale.ROOT,
                    "%d %s (prefill %.2f ms/token, itl %.0f ms) %.3f req/s each", j - i, w.name().replaceFirst("-\\d+$", ""),
                    w.prefillSecondsPerToken() * 1e3, w.itlSeconds() * 1e3, c.perWorker()[i]));
            i = j;
        }
        out.println("workers: " + workers);
        out.printf(Locale.ROOT, "engine: %d sequences, chunked prefill of %d tokens/step, steps %.0f%% longer at a full batch;"
                        + " the gateway marks a worker overloaded at >= %d waiting (scraped every %d ms)%n",
                s.maxRunning(), s.prefillBudget(), s.loadSlowdown() * 100, s.overloadedWaiting(),
                s.scrapeIntervalNanos() / 1_000_000);
        String slowed = specs.get(Math.max(0, s.slowedWorker())).name();
        out.printf(Locale.ROOT, "capacity (saturation run of each worker): %.3f req/s; %.3f req/s while %s is %.0fx slower"
                        + " (%.0f-%.0f s), its capacity share falling from %.1f%% to %.1f%%%n",
                c.nominal(), c.duringSlowdown(), slowed, s.slowdownFactor(), s.slowdownStartNanos() / 1e9,
                s.slowdownEndNanos() / 1e9, 100 * c.slowedShareBefore(s), 100 * c.slowedShareDuring(s));
        out.printf(Locale.ROOT, "requests: gamma arrivals, CV %.1f (shape %.2f); prompts 256-1024 tokens, %.0f%% 8192-16384;"
                        + " outputs 64-1024; goodput: TTFT <= 1 s (prompt < 8k), <= 5 s (longer)%n",
                s.arrivalCv(), 1 / (s.arrivalCv() * s.arrivalCv()), s.longPromptShare() * 100);
    }

    private static void printTable(PrintStream out, Scenario s, double load, Map<RoutingPolicy.Kind, RunResult> results) {
        RunResult any = results.values().iterator().next();
        out.println();
        out.printf(Locale.ROOT, "load %.0f%%: %.3f req/s, %d requests%n", load * 100, any.ratePerSecond(), any.requests());
        String slowed = s.workers().get(Math.max(0, s.slowedWorker())).name();
        out.printf(Locale.ROOT, "%-17s %8s %8s %7s %8s %6s %7s | %-15s %-29s%n", "", "TTFT", "TTFT", "p99 vs", "E2E",
                "output", "", slowed + " picks", slowed + " prompt tokens");
        out.printf(Locale.ROOT, "%-17s %8s %8s %7s %8s %6s %7s | %-15s %-29s%n", "policy", "p50", "p99", "oracle", "p99",
                "tok/s", "goodput", "before   late", "before  first10s  late  halved");
        RunResult oracle = results.get(RoutingPolicy.Kind.ORACLE);
        for (RunResult r : results.values()) {
            out.printf(Locale.ROOT, "%-17s %7.2fs %7.2fs %6.2fx %7.1fs %6.0f %6.1f%% | %5.1f%% %5.1f%%  %5.1f%%   %5.1f%% %5.1f%% %6s%n",
                    r.kind().label, r.ttftP50Nanos() / 1e9, r.ttftP99Nanos() / 1e9,
                    (double) r.ttftP99Nanos() / oracle.ttftP99Nanos(), r.e2eP99Nanos() / 1e9,
                    r.outputTokensPerSecond(), 100 * r.goodput(), 100 * r.pickShareBefore(), 100 * r.pickShareLate(),
                    100 * r.tokenShareBefore(), 100 * r.tokenShareEarly(), 100 * r.tokenShareLate(),
                    Double.isNaN(r.halvedAfterSeconds()) ? "never" : String.format(Locale.ROOT, "%.0fs", r.halvedAfterSeconds()));
        }
        for (RunResult r : results.values()) {
            if (r.heldByGateway() > 0) {
                out.printf(Locale.ROOT, "  %s: %d requests (%.1f%%) waited at the gateway, every worker flagged overloaded%n",
                        r.kind().label, r.heldByGateway(), 100.0 * r.heldByGateway() / r.requests());
            }
        }
    }

    private static void printTargets(PrintStream out, Map<RoutingPolicy.Kind, RunResult> r) {
        RunResult bastion = r.get(RoutingPolicy.Kind.BASTION);
        double vsOracle = ratio(bastion, r.get(RoutingPolicy.Kind.ORACLE));
        double vsRoundRobin = ratio(bastion, r.get(RoutingPolicy.Kind.ROUND_ROBIN));
        double vsLeastOutstanding = ratio(bastion, r.get(RoutingPolicy.Kind.LEAST_OUTSTANDING));
        double goodput = bastion.goodput() / r.get(RoutingPolicy.Kind.ORACLE).goodput();
        List<String> checks = new ArrayList<>();
        checks.add(check("ttft-p99 vs oracle", vsOracle, "<=", TARGET_VS_ORACLE, vsOracle <= TARGET_VS_ORACLE));
        checks.add(check("vs round-robin", vsRoundRobin, "<=", TARGET_VS_ROUND_ROBIN, vsRoundRobin <= TARGET_VS_ROUND_ROBIN));
        checks.add(check("vs least-outstanding", vsLeastOutstanding, "<=", TARGET_VS_LEAST_OUTSTANDING,
                vsLeastOutstanding <= TARGET_VS_LEAST_OUTSTANDING));
        checks.add(check("goodput vs oracle", goodput, ">=", TARGET_GOODPUT_VS_ORACLE, goodput >= TARGET_GOODPUT_VS_ORACLE));
        out.println("targets at 85%: " + String.join("; ", checks));
        out.printf(Locale.ROOT, "ttft-p99 at 85%%: vs oracle %.2fx, vs round-robin %.2fx, vs least-outstanding %.2fx%n",
                vsOracle, vsRoundRobin, vsLeastOutstanding);
    }

    private static String check(String what, double value, String op, double target, boolean pass) {
        return String.format(Locale.ROOT, "%s %.2fx (%s %.1fx) %s", what, value, op, target, pass ? "PASS" : "FAIL");
    }

    private static double ratio(RunResult a, RunResult b) {
        return (double) a.ttftP99Nanos() / b.ttftP99Nanos();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static void usage(PrintStream out) {
        out.println("usage: bastion bench scheduler [--quick] [--duration SECONDS] [--seed N]");
        out.printf(Locale.ROOT, "  --quick        %.0f s of simulated arrivals per run instead of %.0f s (under a minute)%n",
                QUICK_SECONDS, FULL_SECONDS);
        out.println("  --duration S   simulated seconds of arrivals per load and policy");
        out.printf(Locale.ROOT, "  --seed N       seed of the workload and of every random choice (default %d)%n", DEFAULT_SEED);
    }
}
