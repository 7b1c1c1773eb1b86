package ai.qubittron.bastion.bench.metering;

import ai.qubittron.bastion.bench.JacksonTokens;
import ai.qubittron.bastion.core.metering.ResponseInspector;
import com.fasterxml.jackson.core.JsonFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-chunk cost of watching a stream: inspecting one streamed chat token chunk and the final usage
 * chunk. The peer, {@link #jacksonTokenChunk}, only tokenizes the token chunk with Jackson's non-blocking
 * parser fed from the buffer's NIO view, as the inspector did before it had a scanner of its own.
 * Run: {@code java -jar bastion-bench/target/benchmarks.jar ResponseInspector -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ResponseInspectorBenchmark {

    private static final JsonFactory JACKSON = new JsonFactory();

    private final ResponseInspector inspector = new ResponseInspector();
    private ByteBuf tokenChunk;
    private ByteBuf usageChunk;

    @Setup(Level.Trial)
    public void setUp() {
        tokenChunk = direct("{\"id\":\"chatcmpl-9f2c\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,"
                + "\"model\":\"gpt-oss-120b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" hello\"},"
                + "\"logprobs\":null,\"finish_reason\":null}]}");
        usageChunk = direct("{\"id\":\"chatcmpl-9f2c\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,"
                + "\"model\":\"gpt-oss-120b\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":10,"
                + "\"total_tokens\":30}}");
    }

    private static ByteBuf direct(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tokenChunk.release();
        usageChunk.release();
    }

    @Benchmark
    public boolean tokenChunk() {
        return inspector.inspect(tokenChunk) && inspector.carriesTokens();
    }

    @Benchmark
    public int jacksonTokenChunk() throws IOException {
        return JacksonTokens.count(JACKSON, tokenChunk);
    }

    @Benchmark
    public long usageChunk() {
        inspector.inspect(usageChunk);
        return inspector.outputTokens();
    }
}
