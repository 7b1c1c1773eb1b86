package ai.qubittron.bastion.bench.auth;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.util.Optional;
import java.util.Set;
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
 * Authenticating one request's key against the in-memory store of {@code keys} keys: a SHA-256 of the
 * presented key, then a hash-table lookup (only hashes are stored). Run:
 * {@code ./bastion bench jmh KeyStoreBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KeyStoreBenchmark {

    @Param({"10", "100000"})
    public int keys;

    private final InMemoryApiKeyStore store = new InMemoryApiKeyStore();
    private String known;

    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < keys; i++) {
            known = store.create(new ApiPrincipal("key_" + i, "acct_" + (i % 100), ApiPrincipal.DEFAULT_TIER, Set.of()));
        }
    }

    /** A valid key, answered synchronously as the gateway's event loop sees it. */
    @Benchmark
    public Optional<ApiPrincipal> knownKey() {
        return store.authenticate(known).toCompletableFuture().join();
    }

    /** A key that is not in the store (every unauthenticated request pays this). */
    @Benchmark
    public Optional<ApiPrincipal> unknownKey() {
        return store.authenticate("qbt_not_a_key_of_this_store_0123456789").toCompletableFuture().join();
    }
}
