package ai.qubittron.bastion.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs wrk (a closed-loop HTTP load generator) with a Lua script that posts one request body and, when
 * done, prints one machine-readable {@code RESULT} line: requests, duration, errors and latency
 * percentiles from wrk's own histogram.
 */
final class Wrk {

    /** The percentiles each run reports, for the tables (50, 99) and the curves (all). */
    static final double[] PERCENTILES = {50, 75, 90, 95, 99, 99.9, 99.99};

    private final Path script;

    private Wrk(Path script) {
        this.script = script;
    }

    /** Writes the Lua script that posts {@code body} as JSON with {@code Authorization: Bearer key}. */
    static Wrk posting(Path dir, String body, String key) throws IOException {
        StringBuilder points = new StringBuilder();
        for (double p : PERCENTILES) {
            points.append(points.length() == 0 ? "" : ", ").append(p);
        }
        Path script = dir.resolve("post.lua");
        Files.writeString(script, "wrk.method = \"POST\"\n"
                + "wrk.body = [==[" + body + "]==]\n"
                + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                + "wrk.headers[\"Authorization\"] = \"Bearer " + key + "\"\n"
                + "local points = {" + points + "}\n"
                + "done = function(summary, latency, requests)\n"
                + "  local e = summary.errors\n"
                + "  io.write(string.format(\"RESULT %d %d %d %d\", summary.requests, summary.duration,\n"
                + "    e.connect + e.read + e.write + e.timeout, e.status))\n"
                + "  for _, p in ipairs(points) do io.write(string.format(\" %d\", latency:percentile(p))) end\n"
                + "  io.write(\"\\n\")\n"
                + "end\n");
        return new Wrk(script);
    }

    /** One run's figures; latencies in microseconds, one per {@link #PERCENTILES} entry. */
    record Result(long requests, long durationMicros, long socketErrors, long statusErrors, long[] latencyMicros) {

        double requestsPerSecond() {
            return requests * 1e6 / durationMicros;
        }

        long percentile(double p) {
            for (int i = 0; i < PERCENTILES.length; i++) {
                if (PERCENTILES[i] == p) {
                    return latencyMicros[i];
                }
            }
            throw new IllegalArgumentException("percentile not reported: " + p);
        }
    }

    /** Runs wrk against {@code url} and returns its figures; fails if wrk fails or prints no result. */
    Result run(String url, int connections, int seconds) throws IOException, InterruptedException {
        int threads = Math.min(connections, 2);
        List<String> command = new ArrayList<>(List.of(Tools.path("wrk"), "-t" + threads, "-c" + connections, "-d" + seconds + "s",
                "--timeout", "10s", "-s", script.toString(), url));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int status = p.waitFor();
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
        if (status != 0 || line == null) {
            throw new IOException("wrk failed (exit " + status + "): " + String.join(" ", command) + "\n" + out);
        }
        String[] f = line.substring(7).trim().split(" ");
        long[] latency = new long[PERCENTILES.length];
        for (int i = 0; i < latency.length; i++) {
            latency[i] = Long.parseLong(f[4 + i]);
        }
        return new Result(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), latency);
    }

    /** The wrk version line. */
    static String version() {
        String v = Machine.version(List.of(Tools.path("wrk"), "-v"));
        return v.toLowerCase(Locale.ROOT).startsWith("wrk") ? v.split(" \\[")[0] : v;
    }
}
