package ai.qubittron.bastion.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One nginx instance of a benchmark's, run in the foreground from a configuration written into the run's
 * directory (its pid file, error log and temporary files stay there), and stopped with the benchmark.
 */
final class Nginx implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path errorLog;

    private Nginx(String name, Process process, Path errorLog) {
        this.name = name;
        this.process = process;
        this.errorLog = errorLog;
    }

    /**
     * Starts nginx with {@code workers} worker processes and the given {@code http {}} block content, and
     * waits until {@code port} accepts connections.
     */
    static Nginx start(Path dir, String name, int workers, String http, int port) throws IOException, InterruptedException {
        Path home = Files.createDirectories(dir.resolve(name));
        Path conf = home.resolve("nginx.conf");
        Path errorLog = home.resolve("error.log");
        String temp = home.toString();
        Files.writeString(conf, (isRoot() ? "user root;\n" : "")
                + "daemon off;\n"
                + "worker_processes " + workers + ";\n"
                + "pid " + home.resolve("nginx.pid") + ";\n"
                + "error_log " + errorLog + " warn;\n"
                + "events { worker_connections 16384; }\n"
                + "http {\n"
                + "  access_log off;\n"
                + "  keepalive_requests 100000000;\n"
                + "  client_body_temp_path " + temp + "/body;\n"
                + "  proxy_temp_path " + temp + "/proxy;\n"
                + "  fastcgi_temp_path " + temp + "/fastcgi;\n"
                + "  uwsgi_temp_path " + temp + "/uwsgi;\n"
                + "  scgi_temp_path " + temp + "/scgi;\n"
                + http
                + "}\n");
        Process process = new ProcessBuilder(Tools.path("nginx"), "-p", home.toString(), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("stdout.log").toFile())
                .start();
        Nginx nginx = new Nginx(name, process, errorLog);
        try {
            Ports.awaitListening(port, process, name);
        } catch (IOException | RuntimeException e) {
            nginx.close();
            throw new IOException(name + " did not start: " + nginx.errors(), e);
        }
        return nginx;
    }

    /** The master process; its workers are its children. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    /** The error log's warnings and errors so far (empty when none). */
    String errors() {
        try {
            return Files.exists(errorLog) ? Files.readString(errorLog).strip() : "";
        } catch (IOException e) {
            return "(unreadable error log: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: nginx's fast shutdown
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "nginx " + name;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The nginx version line, e.g. {@code nginx version: nginx/1.22.1}. */
    static String version() {
        return Machine.version(List.of(Tools.path("nginx"), "-v"));
    }
}
