package ai.qubittron.bastion.bench.scheduler;

import ai.qubittron.bastion.core.scheduler.Lease;
import ai.qubittron.bastion.core.scheduler.Scheduler;
import ai.qubittron.bastion.core.scheduler.SchedulerConfig;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One scheduling decision: pick a worker for a request and release it, with 4 or 16 (full scan) or 64
 * (power of two choices) workers. Target: under 100 ns and 0 B/op for {@code pickIntoAndRelease} with 64
 * workers, under 200 ns with 16. Run:
 * {@code java -jar bastion-bench/target/benchmarks.jar SchedulerBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SchedulerBenchmark {

    private static final String MODEL = "gpt-oss-120b";

    @Param({"4", "16", "64"})
    public int workers;

    private Scheduler scheduler;

    /** Each benchmark thread's own lease, as each request owns its own in the gateway. */
    @State(Scope.Thread)
    public static class OwnLease {
        final Lease lease = new Lease();
    }

    @Setup(Level.Trial)
    public void setUp() {
        scheduler = new Scheduler(SchedulerConfig.defaults());
        for (int i = 0; i < workers; i++) {
            scheduler.addWorker(MODEL, "worker-" + i, null, 0.0005 * (1 + i % 4), 0.02);
        }
    }

    /** The gateway's way: one lease object per request, filled by the pick; allocates nothing. */
    @Benchmark
    public boolean pickIntoAndRelease(OwnLease own) {
        boolean picked = scheduler.pick(MODEL, 512, null, own.lease);
        own.lease.close();
        return picked;
    }

    /** The convenience overload, which allocates its {@link Lease} (for comparison). */
    @Benchmark
    public Lease pickAndRelease() {
        Lease l = scheduler.pick(MODEL, 512);
        l.close();
        return l;
    }
}
