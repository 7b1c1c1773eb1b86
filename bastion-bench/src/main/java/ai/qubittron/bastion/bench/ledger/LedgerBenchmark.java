package ai.qubittron.bastion.bench.ledger;

import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.spi.ledger.Settlement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * One request's way through the in-memory prepaid ledger: reserve the worst case, then settle the actual
 * cost, as the gateway does once per request, under a fresh request id each time (built here, as the
 * gateway builds one per request). The outcomes kept for the settlement retention are part of the cost:
 * the ledger forgets them as new reservations come. With one thread and with two on the same account.
 * Run: {@code ./bastion bench jmh LedgerBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class LedgerBenchmark {

    private static final String ACCOUNT = "acct_bench";

    private final InMemoryLedger ledger = new InMemoryLedger();
    private final AtomicLong ids = new AtomicLong();

    public LedgerBenchmark() {
        ledger.open(ACCOUNT, Long.MAX_VALUE / 4);
    }

    @Benchmark
    public Settlement reserveAndSettle() {
        return once();
    }

    @Benchmark
    @Threads(2)
    public Settlement reserveAndSettleContended() {
        return once();
    }

    private Settlement once() {
        String id = "req_" + Long.toHexString(ids.incrementAndGet());
        ledger.reserve(ACCOUNT, id, 2_500).toCompletableFuture().join();
        return ledger.settle(ACCOUNT, id, 1_200).toCompletableFuture().join();
    }
}
