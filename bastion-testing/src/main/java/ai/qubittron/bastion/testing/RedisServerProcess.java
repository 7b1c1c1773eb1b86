package ai.qubittron.bastion.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of a test's own (keeping nothing on disk), which the test may stop and start
 * again on the same port to see what happens while Redis is gone. Needs {@code redis-server} on the
 * {@code PATH} ({@code .ci/run} installs it). Not thread-safe: one test drives it. Ownership:
 * {@link #close} stops the process.
 */
public final class RedisServerProcess implements AutoCloseable {

    private final int port;
    private Process process;

    private RedisServerProcess(int port) {
        this.port = port;
    }

    /**
     * Starts one on a free port of 127.0.0.1 and waits, up to 10 s, until it accepts connections.
     *
     * @return the running server, which the caller closes
     * @throws IOException when {@code redis-server} cannot be run
     * @throws InterruptedException when interrupted while waiting
     * @throws IllegalStateException when it does not accept connections within 10 s
     */
    public static RedisServerProcess start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        RedisServerProcess redis = new RedisServerProcess(port);
        redis.restart();
        return redis;
    }

    /** {@return its address, {@code redis://127.0.0.1:<port>}} */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * Kills it (SIGTERM) and waits up to 10 s for it to exit; its clients see the connection drop. Does
     * nothing when it is stopped.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    /**
     * Starts it again on the same port (empty), stopping it first if it runs, and waits up to 10 s until
     * it accepts connections.
     *
     * @throws IOException when {@code redis-server} cannot be run
     * @throws InterruptedException when interrupted while waiting
     * @throws IllegalStateException when it does not accept connections within 10 s
     */
    public void restart() throws IOException, InterruptedException {
        stop();
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        stop();
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    /**
     * Stops it, as {@link #stop()}.
     *
     * @throws InterruptedException when interrupted while waiting for it to exit
     */
    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
