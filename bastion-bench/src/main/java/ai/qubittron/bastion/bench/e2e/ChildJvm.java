package ai.qubittron.bastion.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A main class of the benchmarks jar in a JVM of its own, started with the same Java as this one, so that
 * its CPU time and memory are its own to read. It announces itself with one line on standard output
 * (read by {@link #start}) and runs until its standard input closes, so it never outlives the benchmark.
 */
final class ChildJvm implements AutoCloseable {

    /** Open files a child may need beyond the usual 20,000 (a gateway holding 10,000 streams has two sockets each). */
    static final int MANY_FILES = 65_536;

    private final Process process;
    private final String ready;

    private ChildJvm(Process process, String ready) {
        this.process = process;
        this.ready = ready;
    }

    /**
     * Starts {@code main} with the JVM options and arguments, its standard error to {@code log}, and returns
     * once it printed a line starting with {@code readyPrefix}. With {@code manyFiles} and when running as
     * root, the child may open {@value #MANY_FILES} files ({@code prlimit}).
     */
    static ChildJvm start(Path log, List<String> jvmOptions, Class<?> main, List<String> args, String readyPrefix,
                          boolean manyFiles) throws IOException {
        List<String> command = new ArrayList<>();
        if (manyFiles && canRaiseFileLimit()) {
            command.addAll(List.of(Tools.path("prlimit"), "--nofile=" + MANY_FILES + ":" + MANY_FILES, "--"));
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", ownJar(), main.getName()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        for (int skipped = 0; line != null && !line.startsWith(readyPrefix) && skipped < 20; skipped++) {
            line = out.readLine(); // what a JVM agent (a profiler) prints first
        }
        if (line == null || !line.startsWith(readyPrefix)) {
            process.destroyForcibly();
            throw new IOException(main.getSimpleName() + " did not start (see " + log + "): " + line);
        }
        return new ChildJvm(process, line.substring(readyPrefix.length()).trim());
    }

    /** Whether a child may be given {@value #MANY_FILES} open files (prlimit works here: root, and allowed to). */
    static boolean canRaiseFileLimit() {
        String prlimit = Tools.path("prlimit");
        if (prlimit == null) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(prlimit, "--nofile=" + MANY_FILES + ":" + MANY_FILES, "--", "true")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The hard limit of open files of this process (what a child JVM raises its own to), from /proc. */
    static long fileLimit() {
        try {
            return Files.readAllLines(Path.of("/proc/self/limits")).stream().filter(l -> l.startsWith("Max open files"))
                    .map(l -> l.trim().split("\\s+")).map(f -> f[4]).map(v -> v.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(v))
                    .findFirst().orElse(Long.MAX_VALUE);
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** What followed the ready prefix on its first line (ports). */
    String ready() {
        return ready;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Resident memory now, in KiB, from {@code /proc/PID/status} ({@code VmRSS}); -1 if unknown. */
    long residentKib() {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst().orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * The JVM's live heap, in KiB: {@code jcmd PID GC.run} (a full collection), then the heap in use as
     * {@code jcmd PID GC.heap_info} reports it; -1 if unknown.
     */
    long liveHeapKib() {
        jcmd("GC.run");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(jcmd("GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private String jcmd(String command) {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), command)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
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
            return Path.of(ChildJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
