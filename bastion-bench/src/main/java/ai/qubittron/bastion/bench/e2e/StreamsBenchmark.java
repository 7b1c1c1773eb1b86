package ai.qubittron.bastion.bench.e2e;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * {@code ./bastion bench streams}: many concurrent streams through the gateway, against the same streams
 * sent straight to the workers.
 *
 * <p>Four simulated workers ({@link BenchWorkers}, in a JVM of their own) stream tokens every 20, 30, 40 and
 * 50 ms, with room for every stream at once. The client ({@link StreamClient}) holds {@code --streams}
 * connections, opened over a ramp, each sending one streamed chat request ({@value #MAX_TOKENS} tokens)
 * after another. Phase one goes direct (connection {@code i} to worker {@code i mod 4}); phase two through
 * the gateway ({@link BenchGateway} in a JVM of its own, {@value GatewayProcess#DEFAULT_OPTS} unless
 * {@value GatewayProcess#OPTS_VARIABLE} says otherwise). During the measured window: time to first event
 * (TTFB), and each later event's gap beyond its worker's pace; then, just after the window with every
 * stream still open, the gateway's live heap (after a full collection) and resident memory, and its CPU per
 * relayed event. Each phase follows a warm-up of {@value #WARMUP_STREAMS} streams for {@value #WARMUP_SECONDS} s.
 *
 * <p>The last line: {@code streams through bastion: 10000, added ttfb p99 0.80 ms, added gap p99 0.60 ms,
 * heap 210 MiB, rss 480 MiB}. Options: {@code --quick} ({@value #QUICK_STREAMS} streams, {@value #QUICK_SECONDS}
 * s), {@code --streams N} (default {@value #FULL_STREAMS}), {@code --seconds S} (default {@value #FULL_SECONDS}),
 * {@code --report DIR}.
 */
public final class StreamsBenchmark {

    static final int FULL_STREAMS = 10_000;
    static final int FULL_SECONDS = 30;
    static final int QUICK_STREAMS = 1_000;
    static final int QUICK_SECONDS = 10;
    static final int MAX_TOKENS = 100;
    static final int WARMUP_STREAMS = 500;
    static final int WARMUP_SECONDS = 20;
    static final int[] ITL_MILLIS = {20, 30, 40, 50};
    static final double TARGET_ADDED_MILLIS = 1.0;
    static final long TARGET_HEAP_MIB = 512;
    /** Direct's late-gap p99 above which the machine, not the gateway, is the bottleneck. */
    static final long PACED_MICROS = 10_000;

    static final String KEY = "qbt_bench_streams_0123456789abcdef";
    static final String PATH = "/v1/chat/completions";
    static final String BODY = "{\"model\":\"" + BenchGateway.MODEL + "\",\"stream\":true,\"max_tokens\":" + MAX_TOKENS
            + ",\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Write a long story about a lighthouse.\"}]}";

    private StreamsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int streams = FULL_STREAMS;
        int seconds = FULL_SECONDS;
        Path report = Path.of(System.getProperty("bastion.root", ".")).resolve("bastion-bench/reports/streams");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    streams = QUICK_STREAMS;
                    seconds = QUICK_SECONDS;
                }
                case "--streams" -> streams = Options.positive(args, ++i);
                case "--seconds" -> seconds = Options.positive(args, ++i);
                case "--report" -> report = Path.of(Options.value(args, ++i));
                case "-h", "--help" -> {
                    System.out.println("usage: bastion bench streams [--quick] [--streams N] [--seconds S] [--report DIR]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
        }
        run(streams, seconds, String.join(" ", args), report, System.out);
    }

    /** One phase's figures and the gateway's, when it was in the path. */
    record Phase(String route, StreamClient.Result result, long measureSeconds, long heapKib, long rssKib,
                 double cpuMicrosPerEvent) {
    }

    static void run(int streams, int seconds, String options, Path report, PrintStream out) throws Exception {
        long wallStart = System.nanoTime();
        // the gateway holds two sockets a stream (client and worker): the open-file limit bounds the streams
        long files = ChildJvm.canRaiseFileLimit() ? ChildJvm.MANY_FILES : ChildJvm.fileLimit();
        long fit = (files - 1_000) / 2;
        if (streams > fit) {
            out.printf(Locale.ROOT, "note: %d streams need %d open files in the gateway; this machine allows %d and no more"
                    + " (prlimit is refused), so %d streams are run%n", streams, 2L * streams + 1_000, files, fit);
            streams = (int) fit;
        }
        Path dir = Files.createTempDirectory("bastion-streams");
        int perWorker = streams / ITL_MILLIS.length + 1;
        String itls = String.join(",", Arrays.stream(ITL_MILLIS).mapToObj(Integer::toString).toList());
        long rampNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1_000, streams)); // 1,000 new streams a second
        long measureNanos = TimeUnit.SECONDS.toNanos(seconds);
        out.printf(Locale.ROOT, "Streams benchmark: %d concurrent streams of %d tokens, tokens every %s ms, %d s measured"
                + " after a %.0f s ramp%n", streams, MAX_TOKENS, itls, seconds, rampNanos / 1e9);
        out.println("machine: " + Machine.describe());
        try (ChildJvm workers = ChildJvm.start(dir.resolve("workers.log"), List.of("-Xmx2g"), BenchWorkers.class,
                     List.of("--itl", itls, "--max-running", Integer.toString(perWorker)), BenchWorkers.READY, true);
             StreamClient client = new StreamClient()) {
            List<InetSocketAddress> workerAddresses = new ArrayList<>();
            for (String port : workers.ready().split(",")) {
                workerAddresses.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)));
            }
            Map<String, Long> itlBySalt = new HashMap<>();
            List<String> salts = StreamClient.salts(workerAddresses, PATH, KEY, BODY);
            for (int i = 0; i < salts.size(); i++) {
                itlBySalt.put(salts.get(i), TimeUnit.MILLISECONDS.toMicros(ITL_MILLIS[i]));
            }

            // the same warm-up as the gateway's below: the simulator and the client are JIT-compiled first
            client.run(workerAddresses, PATH, KEY, BODY, Math.min(streams, WARMUP_STREAMS), TimeUnit.SECONDS.toNanos(1),
                    TimeUnit.SECONDS.toNanos(WARMUP_SECONDS), itlBySalt);
            StreamClient.Result direct = client.run(workerAddresses, PATH, KEY, BODY, streams, rampNanos, measureNanos, itlBySalt);
            Phase directPhase = new Phase("direct", direct, seconds, -1, -1, Double.NaN);
            check(directPhase);

            List<String> urls = workerAddresses.stream().map(a -> "http://127.0.0.1:" + a.getPort()).toList();
            Phase gatewayPhase;
            try (GatewayProcess gateway = GatewayProcess.start(dir.resolve("gateway.log"), KEY, urls,
                    Runtime.getRuntime().availableProcessors(), "--max-in-flight-per-worker", Integer.toString(perWorker))) {
                // a short warm-up, so the JIT has compiled the relay before the measured phase
                client.run(List.of(new InetSocketAddress("127.0.0.1", gateway.port())), PATH, KEY, BODY,
                        Math.min(streams, WARMUP_STREAMS), TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(WARMUP_SECONDS),
                        itlBySalt);
                ProcessCpu cpu = new ProcessCpu(gateway.handle());
                ProcessCpu.Sample before = cpu.sample();
                long[] memory = new long[2];
                Thread sampler = new Thread(() -> {
                    try {
                        // just after the window, every stream still open on its last request: the live heap
                        // (after a full collection, which no longer disturbs what is measured) and the RSS
                        TimeUnit.NANOSECONDS.sleep(rampNanos + measureNanos + TimeUnit.MILLISECONDS.toNanos(100));
                        memory[1] = gateway.residentKib();
                        memory[0] = gateway.liveHeapKib();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "bench-memory-sampler");
                sampler.start();
                StreamClient.Result through = client.run(List.of(new InetSocketAddress("127.0.0.1", gateway.port())),
                        PATH, KEY, BODY, streams, rampNanos, measureNanos, itlBySalt);
                sampler.join();
                ProcessCpu.Sample spent = cpu.sample().minus(before);
                // the whole phase's CPU over all its events: each stream's request costs are in it too
                gatewayPhase = new Phase("bastion", through, seconds, memory[0], memory[1],
                        (double) spent.totalMicros() / Math.max(1, through.allEvents));
                check(gatewayPhase);
            }
            double wallSeconds = (System.nanoTime() - wallStart) / 1e9;
            Summary summary = new Summary(streams, seconds, options, rampNanos, directPhase, gatewayPhase, wallSeconds);
            summary.print(out);
            summary.writeReport(report);
            out.println("report: " + report.resolve("README.md"));
            out.println(summary.lastLine());
        }
    }

    private static void check(Phase phase) {
        StreamClient.Result r = phase.result();
        if (r.errors > 0 || r.unknownWorker > 0) {
            throw new IllegalStateException(phase.route() + ": " + r.errors + " failed streams, " + r.unknownWorker
                    + " from an unknown worker; first error: " + r.firstError);
        }
    }

    record Summary(int streams, int seconds, String options, long rampNanos, Phase direct, Phase bastion, double wallSeconds) {

        double addedTtfbP99Millis() {
            return (bastion.result().ttfbMicros.getValueAtPercentile(99) - direct.result().ttfbMicros.getValueAtPercentile(99)) / 1000.0;
        }

        double addedGapP99Millis() {
            return (bastion.result().addedGapMicros.getValueAtPercentile(99)
                    - direct.result().addedGapMicros.getValueAtPercentile(99)) / 1000.0;
        }

        List<String> table() {
            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "%-8s %9s %10s %10s %10s %10s %12s %12s %12s", "route", "streams",
                    "events/s", "TTFB p50", "TTFB p99", "TTFB max", "late gap p50", "late gap p99", "late p99.9"));
            for (Phase p : List.of(direct, bastion)) {
                StreamClient.Result r = p.result();
                lines.add(String.format(Locale.ROOT, "%-8s %9d %10.0f %10s %10s %10s %12s %12s %12s", p.route(), r.streamsCompleted,
                        (double) r.events / p.measureSeconds(), ms(r.ttfbMicros.getValueAtPercentile(50)),
                        ms(r.ttfbMicros.getValueAtPercentile(99)), ms(r.ttfbMicros.getMaxValue()),
                        ms(r.addedGapMicros.getValueAtPercentile(50)), ms(r.addedGapMicros.getValueAtPercentile(99)),
                        ms(r.addedGapMicros.getValueAtPercentile(99.9))));
            }
            return lines;
        }

        String memoryLine() {
            return String.format(Locale.ROOT, "bastion with %d streams open: live heap %d MiB, resident %d MiB, "
                            + "CPU %.1f us per relayed event", streams, bastion.heapKib() / 1024, bastion.rssKib() / 1024,
                    bastion.cpuMicrosPerEvent());
        }

        String targetsLine() {
            double t = addedTtfbP99Millis();
            double g = addedGapP99Millis();
            long heap = bastion.heapKib() / 1024;
            return String.format(Locale.ROOT, "targets: %d streams (>= %d) %s; added ttfb p99 %.2f ms (<= %.1f ms) %s; "
                            + "added gap p99 %.2f ms (<= %.1f ms) %s; heap %d MiB (<= %d MiB) %s",
                    streams, FULL_STREAMS, pass(streams >= FULL_STREAMS), t, TARGET_ADDED_MILLIS, pass(t <= TARGET_ADDED_MILLIS),
                    g, TARGET_ADDED_MILLIS, pass(g <= TARGET_ADDED_MILLIS), heap, TARGET_HEAP_MIB,
                    pass(heap > 0 && heap <= TARGET_HEAP_MIB));
        }

        String lastLine() {
            return String.format(Locale.ROOT, "streams through bastion: %d, added ttfb p99 %.2f ms, added gap p99 %.2f ms, "
                    + "heap %d MiB, rss %d MiB", streams, addedTtfbP99Millis(), addedGapP99Millis(),
                    bastion.heapKib() / 1024, bastion.rssKib() / 1024);
        }

        /**
         * Whether the direct route kept the workers' pace: when even it is late, the machine (simulator and
         * client included) cannot serve this many streams, and what the gateway adds is lost in that.
         */
        boolean paced() {
            return direct.result().addedGapMicros.getValueAtPercentile(99) <= PACED_MICROS;
        }

        String pacingLine() {
            return paced() ? "pacing: direct kept the workers' pace (late gap p99 <= " + PACED_MICROS / 1000 + " ms)"
                    : String.format(Locale.ROOT, "pacing: NOT KEPT even direct (late gap p99 %.0f ms > %d ms): this machine"
                            + " cannot serve %d streams of these workers in real time; the added figures say little, lower --streams",
                    direct.result().addedGapMicros.getValueAtPercentile(99) / 1000.0, PACED_MICROS / 1000, streams);
        }

        void print(PrintStream out) {
            table().forEach(out::println);
            out.println(pacingLine());
            out.println(memoryLine());
            out.printf(Locale.ROOT, "wall time %.0f s%n", wallSeconds);
            out.println(targetsLine());
        }

        void writeReport(Path dir) throws java.io.IOException {
            Files.createDirectories(dir);
            List<Charts.Series> ttfb = new ArrayList<>();
            List<Charts.Series> gaps = new ArrayList<>();
            for (Phase p : List.of(direct, bastion)) {
                ttfb.add(new Charts.Series(p.route(), curve(p.result().ttfbMicros)));
                gaps.add(new Charts.Series(p.route(), curve(p.result().addedGapMicros)));
            }
            Charts.percentiles(dir.resolve("ttfb.png"), "Time to first event by percentile, " + streams + " streams",
                    "milliseconds", ttfb);
            Charts.percentiles(dir.resolve("late-gap.png"), "Gap beyond the worker's pace by percentile", "milliseconds", gaps);
            StringBuilder md = new StringBuilder();
            md.append("# Streams: Bastion with many concurrent streams, against the same streams sent direct\n\n");
            md.append("Made by `./bastion bench streams").append(options.isEmpty() ? "" : " " + options)
                    .append("` on ").append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")))
                    .append(String.format(Locale.ROOT, " (%.0f s in all).%n%n", wallSeconds));
            md.append("- machine: ").append(Machine.describe()).append('\n');
            md.append("- workers: 4 simulated workers in one JVM, a token every ").append(String.join(", ",
                    Arrays.stream(ITL_MILLIS).mapToObj(Integer::toString).toList())).append(" ms, room for every stream\n");
            md.append(String.format(Locale.ROOT, "- load: %d keep-alive connections opened over %.0f s, each sending streamed "
                    + "chat requests of %d tokens one after another; %d s measured%n", streams, rampNanos / 1e9, MAX_TOKENS, seconds));
            md.append("- bastion: `BenchGateway` (every per-request step on), JVM options `").append(GatewayProcess.options())
                    .append("`\n\n```\n");
            table().forEach(l -> md.append(l).append('\n'));
            md.append(pacingLine()).append('\n').append(memoryLine()).append('\n').append(targetsLine()).append('\n').append(lastLine()).append("\n```\n\n");
            md.append("TTFB: request written → first whole event. Late gap: each later event's gap since the previous one, "
                    + "less its worker's pace (0 when shorter: events that arrived together). The added figures are "
                    + "bastion's p99 less direct's.\n\n");
            md.append("![TTFB](ttfb.png)\n\n![late gap](late-gap.png)\n");
            Files.writeString(dir.resolve("README.md"), md.toString());
        }

        private static double[] curve(Histogram h) {
            double[] points = new double[Wrk.PERCENTILES.length * 2];
            for (int i = 0; i < Wrk.PERCENTILES.length; i++) {
                points[2 * i] = Wrk.PERCENTILES[i];
                points[2 * i + 1] = h.getValueAtPercentile(Wrk.PERCENTILES[i]) / 1000.0;
            }
            return points;
        }

        private static String ms(long micros) {
            return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
        }

        private static String pass(boolean ok) {
            return ok ? "PASS" : "FAIL";
        }
    }
}
