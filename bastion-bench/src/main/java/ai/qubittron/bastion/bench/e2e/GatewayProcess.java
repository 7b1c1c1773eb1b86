package ai.qubittron.bastion.bench.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link BenchGateway} in a {@linkplain ChildJvm JVM of its own}. JVM options come from the environment
 * variable {@value #OPTS_VARIABLE} (default {@value #DEFAULT_OPTS}).
 */
final class GatewayProcess implements AutoCloseable {

    static final String OPTS_VARIABLE = "BASTION_GATEWAY_OPTS";
    static final String DEFAULT_OPTS = "-Xms512m -Xmx512m";

    private final ChildJvm jvm;
    private final int port;

    private GatewayProcess(ChildJvm jvm) {
        this.jvm = jvm;
        this.port = Integer.parseInt(jvm.ready());
    }

    /** The JVM options in force. */
    static String options() {
        return System.getenv().getOrDefault(OPTS_VARIABLE, DEFAULT_OPTS).trim();
    }

    /**
     * Starts the gateway in front of {@code workers} with {@code ioThreads} event loops and any more
     * {@link BenchGateway} options; returns once it accepts.
     */
    static GatewayProcess start(Path log, String key, List<String> workers, int ioThreads, String... more)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("--port", "0", "--key", key, "--io-threads", Integer.toString(ioThreads)));
        for (String w : workers) {
            args.add("--worker");
            args.add(w);
        }
        args.addAll(Arrays.asList(more));
        return new GatewayProcess(ChildJvm.start(log, jvmOptions(), BenchGateway.class, args, BenchGateway.READY, true));
    }

    /** {@link #options()} split into arguments. */
    static List<String> jvmOptions() {
        return Arrays.stream(options().split("\\s+")).filter(o -> !o.isEmpty()).toList();
    }

    int port() {
        return port;
    }

    ProcessHandle handle() {
        return jvm.handle();
    }

    long residentKib() {
        return jvm.residentKib();
    }

    long liveHeapKib() {
        return jvm.liveHeapKib();
    }

    @Override
    public void close() {
        jvm.close();
    }
}
