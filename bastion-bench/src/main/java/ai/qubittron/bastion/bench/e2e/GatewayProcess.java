package ai.qubittron.bastion.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BenchGateway} in a JVM of its own, started from the benchmarks jar with the same Java as
 * this one: its CPU time and memory are then its own to read. Extra JVM options come from the
 * environment variable {@value #OPTS_VARIABLE} (default {@value #DEFAULT_OPTS}).
 */
final class GatewayProcess implements AutoCloseable {

    static final String OPTS_VARIABLE = "BASTION_GATEWAY_OPTS";
    static final String DEFAULT_OPTS = "-Xms512m -Xmx512m";

    private final Process process;
    private final int port;

    private GatewayProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the gateway in front of {@code workers} with {@code ioThreads} event loops; returns once it accepts. */
    static GatewayProcess start(Path log, String key, List<String> workers, int ioThreads)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        for (String opt : System.getenv().getOrDefault(OPTS_VARIABLE, DEFAULT_OPTS).trim().split("\\s+")) {
            if (!opt.isEmpty()) {
                command.add(opt);
            }
        }
        command.addAll(List.of("-cp", ownJar(), BenchGateway.class.getName(), "--port", "0", "--key", key,
                "--io-threads", Integer.toString(ioThreads)));
        for (String w : workers) {
            command.add("--worker");
            command.add(w);
        }
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith(BenchGateway.READY)) {
            process.destroyForcibly();
            throw new IOException("the gateway did not start (see " + log + "): " + line);
        }
        return new GatewayProcess(process, Integer.parseInt(line.substring(BenchGateway.READY.length()).trim()));
    }

    int port() {
        return port;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Resident memory now, in KiB, from {@code /proc/PID/status} ({@code VmRSS}); -1 if unknown. */
    long residentKib() {
        try {
            return java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst().orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close(); // the gateway stops when its standard input closes
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String ownJar() {
        try {
            return Path.of(BenchGateway.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
