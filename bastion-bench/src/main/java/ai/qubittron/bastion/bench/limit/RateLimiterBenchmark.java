package ai.qubittron.bastion.bench.limit;

import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One admission by the in-memory rate limiter: a compare-and-set on the key's minute window. With one
 * thread, and with two threads on the same key (the gateway's two event loops serving one busy key).
 * Run: {@code ./bastion bench jmh RateLimiterBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RateLimiterBenchmark {

    /** Limits no run reaches, so every acquire is admitted and counted. */
    private static final RateLimits LIMITS = new RateLimits(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2);

    private final InMemoryRateLimiter limiter = new InMemoryRateLimiter();

    @Benchmark
    public RateLimitDecision acquire() {
        return limiter.acquire("key_bench", LIMITS, 512).toCompletableFuture().join();
    }

    @Benchmark
    @Threads(2)
    public RateLimitDecision acquireContended() {
        return limiter.acquire("key_bench", LIMITS, 512).toCompletableFuture().join();
    }
}
