package ai.qubittron.bastion.bench.e2e;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./bastion bench overhead}: what the gateway adds to a request, against nginx doing much less.
 *
 * <p>One static upstream, nginx answering every request with the same chat completion (with usage), is
 * driven by wrk four ways: <b>direct</b>, through <b>nginx</b> {@code proxy_pass} (keep-alive upstream
 * connections, the {@code Authorization} header dropped as Bastion drops it), through <b>netty</b>, a
 * bare relay on the same JVM, transport and allocator as the gateway ({@link NettyRelay}: the floor any
 * Netty gateway stands on), and through <b>Bastion</b> ({@link BenchGateway}: key lookup, rate limiter,
 * ledger, metering and meters all on, in a JVM of its own). Every proxy gets as many event loops / worker
 * processes as the machine has cores. After a warm-up, each
 * round runs every path at 1 and at 64 connections, the order of the paths turning from round to round
 * so that none always runs on a machine the previous one heated. Each proxy's CPU time is read from
 * {@code /proc} (all its threads or processes, user and system) around each run.
 *
 * <p>Prints requests/s, p50 and p99 (medians over the rounds), and CPU µs per request of each proxy and of
 * the upstream; the targets (PASS/FAIL, never an exit status); and last the line
 * {@code bastion/nginx at 64 connections: throughput 1.07x, cpu-per-request 0.93x}. Writes a Markdown report
 * with PNG charts to {@code --report DIR} (default {@code bastion-bench/reports/overhead} of the repository).
 *
 * <p>Options: {@code --quick} ({@value #QUICK_ROUNDS} rounds of {@value #QUICK_SECONDS} s after
 * {@value #QUICK_WARMUP} s of warm-up, under a minute in all; default {@value #FULL_ROUNDS} rounds of
 * {@value #FULL_SECONDS} s after {@value #FULL_WARMUP} s), {@code --rounds N}, {@code --seconds S},
 * {@code --warmup S}, {@code --report DIR}.
 */
public final class OverheadBenchmark {

    static final int FULL_ROUNDS = 5;
    static final int FULL_SECONDS = 10;
    static final int FULL_WARMUP = 30;
    static final int QUICK_ROUNDS = 2;
    static final int QUICK_SECONDS = 2;
    static final int QUICK_WARMUP = 10;
    static final int[] CONNECTIONS = {1, 64};

    static final double TARGET_THROUGHPUT = 1.0;
    static final double TARGET_CPU = 1.0;
    static final long TARGET_ADDED_P50_MICROS = 50;

    static final String KEY = "qbt_bench_overhead_0123456789abcdef";
    static final String REQUEST = "{\"model\":\"" + BenchGateway.MODEL + "\",\"messages\":["
            + "{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
            + "{\"role\":\"user\",\"content\":\"Say hello in one short sentence.\"}],"
            + "\"max_tokens\":32,\"temperature\":0.2}";
    static final String ANSWER = "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
            + "\"model\":\"" + BenchGateway.MODEL + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"Hello! How can I help you today?\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":9,\"total_tokens\":33}}";

    /** The ways to the upstream; SHARED (Bastion on Redis and PostgreSQL) only with {@code --shared-backends}. */
    enum Route {
        DIRECT("direct"), NGINX("nginx"), NETTY("netty"), BASTION("bastion"), SHARED("shared");

        final String label;

        Route(String label) {
            this.label = label;
        }
    }

    /** All the runs of one route at one connection count. */
    static final class Cell {
        final List<Wrk.Result> runs = new ArrayList<>();
        ProcessCpu.Sample proxyCpu = new ProcessCpu.Sample(0, 0);
        ProcessCpu.Sample upstreamCpu = new ProcessCpu.Sample(0, 0);

        long requests() {
            return runs.stream().mapToLong(Wrk.Result::requests).sum();
        }

        double requestsPerSecond() {
            return requests() * 1e6 / runs.stream().mapToLong(Wrk.Result::durationMicros).sum();
        }

        /** The median over the runs of a percentile. */
        long latency(double percentile) {
            long[] v = runs.stream().mapToLong(r -> r.percentile(percentile)).sorted().toArray();
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }

        /** The mean over the runs of every reported percentile, for the curves. */
        double[] curve() {
            double[] points = new double[Wrk.PERCENTILES.length * 2];
            for (int i = 0; i < Wrk.PERCENTILES.length; i++) {
                int k = i;
                points[2 * i] = Wrk.PERCENTILES[i];
                points[2 * i + 1] = runs.stream().mapToLong(r -> r.latencyMicros()[k]).average().orElse(0) / 1000.0;
            }
            return points;
        }

        double cpuPerRequest(ProcessCpu.Sample cpu) {
            return (double) cpu.totalMicros() / requests();
        }
    }

    private OverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = FULL_ROUNDS;
        int seconds = FULL_SECONDS;
        int warmup = FULL_WARMUP;
        Path report = Path.of(System.getProperty("bastion.root", ".")).resolve("bastion-bench/reports/overhead");
        boolean shared = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    rounds = QUICK_ROUNDS;
                    seconds = QUICK_SECONDS;
                    warmup = QUICK_WARMUP;
                }
                case "--rounds" -> rounds = Options.positive(args, ++i);
                case "--seconds" -> seconds = Options.positive(args, ++i);
                case "--warmup" -> warmup = Options.positive(args, ++i);
                case "--report" -> report = Path.of(Options.value(args, ++i));
                case "--shared-backends" -> shared = true;
                case "-h", "--help" -> {
                    System.out.println("usage: bastion bench overhead [--quick] [--rounds N] [--seconds S] [--warmup S] [--report DIR]"
                            + " [--shared-backends]");
                    System.out.println("  --shared-backends  also run Bastion with its limiter in Redis and its ledger and keys in "
                            + "PostgreSQL (" + SHARED_REDIS + ", " + SHARED_POSTGRES + "), as route 'shared'");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
        }
        run(rounds, seconds, warmup, String.join(" ", args), report, shared, System.out);
    }

    /** Where {@code --shared-backends} finds Redis and PostgreSQL: this machine's. */
    static final String SHARED_REDIS = "redis://127.0.0.1:6379";
    static final String SHARED_POSTGRES = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    static void run(int rounds, int seconds, int warmup, String options, Path report, boolean shared, PrintStream out)
            throws Exception {
        List<Route> routes = Arrays.stream(Route.values()).filter(r -> shared || r != Route.SHARED).toList();
        Tools.require("nginx", "wrk");
        long wallStart = System.nanoTime();
        int cores = Runtime.getRuntime().availableProcessors();
        Path dir = Files.createTempDirectory("bastion-overhead");
        int upstreamPort = Ports.free();
        int proxyPort = Ports.free();
        try (Nginx upstream = Nginx.start(dir, "upstream", 1, "  server {\n"
                        + "    listen 127.0.0.1:" + upstreamPort + " backlog=4096;\n"
                        + "    location / { default_type application/json; return 200 '" + ANSWER + "'; }\n"
                        + "  }\n", upstreamPort);
             Nginx proxy = Nginx.start(dir, "proxy", cores, "  upstream llm { server 127.0.0.1:" + upstreamPort
                        + "; keepalive 256; }\n"
                        + "  server {\n"
                        + "    listen 127.0.0.1:" + proxyPort + " backlog=4096;\n"
                        + "    location / {\n"
                        + "      proxy_pass http://llm;\n"
                        + "      proxy_http_version 1.1;\n"
                        + "      proxy_set_header Connection \"\";\n"
                        + "      proxy_set_header Authorization \"\";\n"
                        + "    }\n"
                        + "  }\n", proxyPort);
             GatewayProcess gateway = GatewayProcess.start(dir.resolve("gateway.log"), KEY,
                     List.of("http://127.0.0.1:" + upstreamPort), cores);
             ChildJvm relay = ChildJvm.start(dir.resolve("relay.log"), GatewayProcess.jvmOptions(), NettyRelay.class,
                     List.of("--port", "0", "--io-threads", Integer.toString(cores), "--upstream",
                             "http://127.0.0.1:" + upstreamPort), NettyRelay.READY, false);
             GatewayProcess sharedGateway = shared ? GatewayProcess.start(dir.resolve("shared-gateway.log"), KEY,
                     List.of("http://127.0.0.1:" + upstreamPort), cores, "--redis", SHARED_REDIS, "--postgres", SHARED_POSTGRES)
                     : null) {
            Map<Route, String> urls = new EnumMap<>(Route.class);
            urls.put(Route.DIRECT, "http://127.0.0.1:" + upstreamPort + "/v1/chat/completions");
            urls.put(Route.NGINX, "http://127.0.0.1:" + proxyPort + "/v1/chat/completions");
            urls.put(Route.NETTY, "http://127.0.0.1:" + relay.ready() + "/v1/chat/completions");
            urls.put(Route.BASTION, "http://127.0.0.1:" + gateway.port() + "/v1/chat/completions");
            if (sharedGateway != null) {
                urls.put(Route.SHARED, "http://127.0.0.1:" + sharedGateway.port() + "/v1/chat/completions");
            }
            for (Route r : routes) {
                check(r, urls.get(r));
            }
            Map<Route, ProcessCpu> cpu = new EnumMap<>(Route.class);
            cpu.put(Route.NGINX, new ProcessCpu(proxy.handle()));
            cpu.put(Route.NETTY, new ProcessCpu(relay.handle()));
            cpu.put(Route.BASTION, new ProcessCpu(gateway.handle()));
            if (sharedGateway != null) {
                cpu.put(Route.SHARED, new ProcessCpu(sharedGateway.handle()));
            }
            ProcessCpu upstreamCpu = new ProcessCpu(upstream.handle());
            Wrk wrk = Wrk.posting(dir, REQUEST, KEY);

            out.printf(Locale.ROOT, "Overhead benchmark: %d rounds of %d s per route and connection count, after %d s of warm-up%n",
                    rounds, seconds, warmup);
            out.println("machine: " + Machine.describe());
            out.println("upstream: " + Nginx.version() + ", 1 worker process, a fixed " + ANSWER.length()
                    + "-byte chat completion; nginx proxy: " + cores + " worker processes; netty relay and bastion: " + cores
                    + " event loops, JVM options '" + GatewayProcess.options() + "'; load: " + Wrk.version());
            // the JIT compiles Bastion's hot path during the warm-up; nginx and the upstream need little
            wrk.run(urls.get(Route.BASTION), 64, warmup);
            if (sharedGateway != null) {
                wrk.run(urls.get(Route.SHARED), 64, warmup);
            }
            wrk.run(urls.get(Route.NETTY), 64, Math.max(3, warmup / 2));
            wrk.run(urls.get(Route.NGINX), 64, Math.max(2, warmup / 5));
            wrk.run(urls.get(Route.DIRECT), 64, Math.max(2, warmup / 5));

            Map<Integer, Map<Route, Cell>> cells = new java.util.TreeMap<>();
            for (int c : CONNECTIONS) {
                Map<Route, Cell> row = new EnumMap<>(Route.class);
                for (Route r : routes) {
                    row.put(r, new Cell());
                }
                cells.put(c, row);
            }
            for (int round = 0; round < rounds; round++) {
                for (int c : CONNECTIONS) {
                    for (int k = 0; k < routes.size(); k++) {
                        Route r = routes.get((round + k) % routes.size());
                        Cell cell = cells.get(c).get(r);
                        ProcessCpu proxyCpu = cpu.get(r);
                        ProcessCpu.Sample p0 = proxyCpu == null ? null : proxyCpu.sample();
                        ProcessCpu.Sample u0 = upstreamCpu.sample();
                        Wrk.Result result = wrk.run(urls.get(r), c, seconds);
                        ProcessCpu.Sample u1 = upstreamCpu.sample();
                        if (proxyCpu != null) {
                            cell.proxyCpu = cell.proxyCpu.plus(proxyCpu.sample().minus(p0));
                        }
                        cell.upstreamCpu = cell.upstreamCpu.plus(u1.minus(u0));
                        if (result.socketErrors() + result.statusErrors() > 0) {
                            throw new IllegalStateException(r.label + " at " + c + " connections: " + result.socketErrors()
                                    + " socket errors, " + result.statusErrors() + " non-2xx answers");
                        }
                        cell.runs.add(result);
                    }
                }
            }
            String warnings = (proxy.errors() + "\n" + upstream.errors()).strip();
            if (!warnings.isEmpty()) {
                out.println("nginx logged:\n" + warnings);
            }
            long rssKib = gateway.residentKib();
            double wallSeconds = (System.nanoTime() - wallStart) / 1e9;
            Summary summary = new Summary(cells, rounds, seconds, warmup, options, cores, rssKib, wallSeconds);
            summary.print(out);
            summary.writeReport(report);
            out.println("report: " + report.resolve("README.md"));
            out.println(summary.lastLine());
        }
    }

    /** One request per route before the load: each answers 200 with the upstream's completion, Bastion with x_metrics. */
    private static void check(Route route, String url) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(REQUEST)).build(), HttpResponse.BodyHandlers.ofString());
        boolean ok = response.statusCode() == 200 && response.body().startsWith(ANSWER.substring(0, ANSWER.length() - 1))
                && ((route != Route.BASTION && route != Route.SHARED) || response.body().contains("\"x_metrics\":{\"ttft_seconds\":"));
        if (!ok) {
            throw new IllegalStateException(route.label + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    /** The figures of a whole run, as text and as a report. */
    record Summary(Map<Integer, Map<Route, Cell>> cells, int rounds, int seconds, int warmup, String options, int cores, long rssKib,
                   double wallSeconds) {

        Cell cell(int connections, Route route) {
            return cells.get(connections).get(route);
        }

        double throughputRatio() {
            return cell(64, Route.BASTION).requestsPerSecond() / cell(64, Route.NGINX).requestsPerSecond();
        }

        double cpuRatio() {
            Cell b = cell(64, Route.BASTION);
            Cell n = cell(64, Route.NGINX);
            return b.cpuPerRequest(b.proxyCpu) / n.cpuPerRequest(n.proxyCpu);
        }

        /** Bastion against the bare Netty relay at 64 connections: what the gateway's own work costs. */
        double throughputRatio(Route over, Route under) {
            return cell(64, over).requestsPerSecond() / cell(64, under).requestsPerSecond();
        }

        double cpuRatio(Route over, Route under) {
            Cell a = cell(64, over);
            Cell b = cell(64, under);
            return a.cpuPerRequest(a.proxyCpu) / b.cpuPerRequest(b.proxyCpu);
        }

        String floorLine() {
            return String.format(Locale.ROOT, "at 64 connections: netty/nginx throughput %.2fx, cpu-per-request %.2fx "
                            + "(the floor under a Netty gateway); bastion/netty throughput %.2fx, cpu-per-request %.2fx "
                            + "(what Bastion's own work costs)",
                    throughputRatio(Route.NETTY, Route.NGINX), cpuRatio(Route.NETTY, Route.NGINX),
                    throughputRatio(Route.BASTION, Route.NETTY), cpuRatio(Route.BASTION, Route.NETTY));
        }

        long addedP50(Route route) {
            return cell(1, route).latency(50) - cell(1, Route.DIRECT).latency(50);
        }

        List<String> table() {
            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "%-11s %-8s %12s %10s %10s %26s %15s %14s", "connections", "route",
                    "requests/s", "p50", "p99", "proxy CPU/request (u+s)", "upstream CPU/req", "vs direct r/s"));
            for (Map.Entry<Integer, Map<Route, Cell>> row : cells.entrySet()) {
                double direct = row.getValue().get(Route.DIRECT).requestsPerSecond();
                for (Route r : row.getValue().keySet()) {
                    Cell c = row.getValue().get(r);
                    String proxyCpu = r == Route.DIRECT ? "-" : String.format(Locale.ROOT, "%.1f us (%.1f + %.1f)",
                            c.cpuPerRequest(c.proxyCpu), (double) c.proxyCpu.userMicros() / c.requests(),
                            (double) c.proxyCpu.systemMicros() / c.requests());
                    lines.add(String.format(Locale.ROOT, "%-11d %-8s %12.0f %10s %10s %26s %15s %13.2fx", row.getKey(), r.label,
                            c.requestsPerSecond(), micros(c.latency(50)), micros(c.latency(99)), proxyCpu,
                            String.format(Locale.ROOT, "%.1f us", c.cpuPerRequest(c.upstreamCpu)), c.requestsPerSecond() / direct));
                }
            }
            return lines;
        }

        String addedLine() {
            return String.format(Locale.ROOT, "added p50 at 1 connection over direct: nginx %+d us, netty %+d us, bastion %+d us",
                    addedP50(Route.NGINX), addedP50(Route.NETTY), addedP50(Route.BASTION));
        }

        String targetsLine() {
            double t = throughputRatio();
            double c = cpuRatio();
            long a = addedP50(Route.BASTION);
            return String.format(Locale.ROOT, "targets at 64 connections: throughput vs nginx %.2fx (>= %.1fx) %s; "
                            + "cpu per request vs nginx %.2fx (<= %.1fx) %s; added p50 at 1 connection %d us (<= %d us) %s",
                    t, TARGET_THROUGHPUT, pass(t >= TARGET_THROUGHPUT), c, TARGET_CPU, pass(c <= TARGET_CPU),
                    a, TARGET_ADDED_P50_MICROS, pass(a <= TARGET_ADDED_P50_MICROS));
        }

        /** The routes measured, in order. */
        List<Route> routes() {
            return List.copyOf(cells.values().iterator().next().keySet());
        }

        /** Bastion on Redis and PostgreSQL against nginx and against in-memory Bastion, when it was measured. */
        String sharedLine() {
            if (!cells.get(64).containsKey(Route.SHARED)) {
                return "";
            }
            return String.format(Locale.ROOT, "at 64 connections: shared/nginx throughput %.2fx, cpu-per-request %.2fx; "
                            + "shared/bastion (Redis + PostgreSQL against in-memory) throughput %.2fx, cpu-per-request %.2fx; "
                            + "added p50 at 1 connection %+d us",
                    throughputRatio(Route.SHARED, Route.NGINX), cpuRatio(Route.SHARED, Route.NGINX),
                    throughputRatio(Route.SHARED, Route.BASTION), cpuRatio(Route.SHARED, Route.BASTION), addedP50(Route.SHARED));
        }

        String lastLine() {
            return String.format(Locale.ROOT, "bastion/nginx at 64 connections: throughput %.2fx, cpu-per-request %.2fx",
                    throughputRatio(), cpuRatio());
        }

        void print(PrintStream out) {
            table().forEach(out::println);
            out.println(addedLine());
            out.printf(Locale.ROOT, "bastion resident memory after the run: %d MiB; wall time %.0f s%n", rssKib / 1024, wallSeconds);
            out.println(floorLine());
            if (!sharedLine().isEmpty()) {
                out.println(sharedLine());
            }
            out.println(targetsLine());
        }

        void writeReport(Path dir) throws IOException {
            Files.createDirectories(dir);
            List<String> groups = Arrays.stream(CONNECTIONS).mapToObj(c -> c + (c == 1 ? " connection" : " connections")).toList();
            List<Charts.Series> throughput = new ArrayList<>();
            List<Charts.Series> cpu = new ArrayList<>();
            for (Route r : routes()) {
                throughput.add(new Charts.Series(r.label, Arrays.stream(CONNECTIONS)
                        .mapToDouble(c -> cell(c, r).requestsPerSecond()).toArray()));
                if (r != Route.DIRECT) {
                    cpu.add(new Charts.Series(r.label, Arrays.stream(CONNECTIONS)
                            .mapToDouble(c -> cell(c, r).cpuPerRequest(cell(c, r).proxyCpu)).toArray()));
                }
            }
            Charts.bars(dir.resolve("throughput.png"), "Requests per second (higher is better)", "requests/s", groups, throughput);
            Charts.bars(dir.resolve("cpu-per-request.png"), "Proxy CPU per request, user + system (lower is better)",
                    "microseconds", groups, cpu);
            for (int c : CONNECTIONS) {
                List<Charts.Series> curves = new ArrayList<>();
                for (Route r : routes()) {
                    curves.add(new Charts.Series(r.label, cell(c, r).curve()));
                }
                Charts.percentiles(dir.resolve("latency-" + c + ".png"), "Latency by percentile at " + groups.get(
                        Arrays.stream(CONNECTIONS).boxed().toList().indexOf(c)), "milliseconds", curves);
            }
            StringBuilder md = new StringBuilder();
            md.append("# Overhead: Bastion against nginx and a bare Netty relay in front of the same upstream\n\n");
            md.append("Made by `./bastion bench overhead").append(options.isEmpty() ? "" : " " + options)
                    .append("` on ").append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")))
                    .append(String.format(Locale.ROOT, " (%d rounds of %d s per route and connection count, after %d s of warm-up; %.0f s in all).%n%n",
                            rounds, seconds, warmup, wallSeconds));
            md.append("- machine: ").append(Machine.describe()).append('\n');
            md.append("- upstream: ").append(Nginx.version()).append(", 1 worker process, answering every request with the same ")
                    .append(ANSWER.length()).append("-byte chat completion (with usage)\n");
            md.append("- nginx: `proxy_pass` with keep-alive upstream connections, ").append(cores).append(" worker processes\n");
            md.append("- netty: `NettyRelay`, a bare HTTP/1.1 relay on Bastion's JVM, transport and allocator (one upstream ")
                    .append("connection per client connection; no authentication, JSON, limits, ledger or meters), ")
                    .append(cores).append(" event loops, the same JVM options\n");
            md.append("- bastion: `BenchGateway` (key lookup, rate limiter, prepaid ledger, metering, Micrometer meters), ")
                    .append(cores).append(" event loops, JVM options `")
                    .append(GatewayProcess.options())
                    .append("`, resident memory after the run ").append(rssKib / 1024).append(" MiB\n");
            if (routes().contains(Route.SHARED)) {
                md.append("- shared: the same `BenchGateway` with its rate limiter in Redis (").append(SHARED_REDIS)
                        .append(") and its ledger and key store in PostgreSQL (").append(SHARED_POSTGRES)
                        .append("), both on this machine, sharing its cores\n");
            }
            md.append("- load: ").append(Wrk.version()).append(", closed loop, the same chat request on every route; everything shares the ")
                    .append(cores).append(" cores\n\n");
            md.append("```\n");
            table().forEach(l -> md.append(l).append('\n'));
            md.append(addedLine()).append('\n');
            md.append(floorLine()).append('\n');
            if (!sharedLine().isEmpty()) {
                md.append(sharedLine()).append('\n');
            }
            md.append(targetsLine()).append('\n');
            md.append(lastLine()).append('\n');
            md.append("```\n\n");
            md.append("requests/s: all requests over all rounds' time; p50, p99: the median over the rounds of wrk's percentiles; ")
                    .append("CPU per request: the proxy's (or upstream's) user and system time over the runs, from /proc, divided by ")
                    .append("the requests.\n\n");
            md.append("![throughput](throughput.png)\n\n![CPU per request](cpu-per-request.png)\n\n");
            for (int c : CONNECTIONS) {
                md.append("![latency at ").append(c).append("](latency-").append(c).append(".png)\n\n");
            }
            Files.writeString(dir.resolve("README.md"), md.toString());
        }

        private static String micros(long us) {
            return us >= 10_000 ? String.format(Locale.ROOT, "%.1f ms", us / 1000.0) : us + " us";
        }

        private static String pass(boolean ok) {
            return ok ? "PASS" : "FAIL";
        }
    }
}
