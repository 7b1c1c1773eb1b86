package ai.qubittron.bastion.bench.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of a process and its descendants, read from {@code /proc/PID/stat} (user and system time, in
 * clock ticks of {@value #TICKS_PER_SECOND} Hz, every thread included): how much processor a proxy
 * spent, whatever the number of its threads or worker processes.
 */
final class ProcessCpu {

    /** {@code USER_HZ}: the unit of {@code /proc/PID/stat} times on every Linux architecture this runs on. */
    static final int TICKS_PER_SECOND = 100;

    private final ProcessHandle root;

    ProcessCpu(ProcessHandle root) {
        this.root = root;
    }

    /** User and system time so far, in microseconds, of the process and of every descendant alive now. */
    Sample sample() {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        long user = 0;
        long system = 0;
        for (ProcessHandle p : all) {
            long[] times = ticks(p.pid());
            user += times[0];
            system += times[1];
        }
        return new Sample(user * 1_000_000L / TICKS_PER_SECOND, system * 1_000_000L / TICKS_PER_SECOND);
    }

    /** utime and stime of one process; zeros when it has gone. */
    private static long[] ticks(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (NoSuchFileException gone) {
            return new long[2];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    /** CPU time in microseconds. */
    record Sample(long userMicros, long systemMicros) {

        long totalMicros() {
            return userMicros + systemMicros;
        }

        Sample minus(Sample earlier) {
            return new Sample(userMicros - earlier.userMicros, systemMicros - earlier.systemMicros);
        }

        Sample plus(Sample other) {
            return new Sample(userMicros + other.userMicros, systemMicros + other.systemMicros);
        }
    }
}
