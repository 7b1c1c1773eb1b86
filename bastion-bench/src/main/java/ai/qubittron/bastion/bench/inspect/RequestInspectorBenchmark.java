package ai.qubittron.bastion.bench.inspect;

import ai.qubittron.bastion.bench.JacksonTokens;
import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.inspect.InspectedRequest;
import ai.qubittron.bastion.core.inspect.RequestInspector;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Request inspection of a typical chat body and of a 100 KB one, read from a direct buffer as the
 * gateway receives it. The peer, {@link #jacksonStrict}, only tokenizes the same body with Jackson's
 * non-blocking parser and duplicate detection, as the inspector did before it had a scanner of its own.
 * Run: {@code java -jar bastion-bench/target/benchmarks.jar RequestInspector -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestInspectorBenchmark {

    @Param({"typical", "100kb"})
    public String body;

    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final RequestInspector inspector = new RequestInspector();
    private ByteBuf buffer;

    @Setup(Level.Trial)
    public void setUp() {
        String content = body.equals("typical") ? "Summarize this support ticket into bullet-point next steps for the agent."
                : "lorem ipsum dolor sit amet ".repeat(100 * 1024 / 27);
        String json = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"system\",\"content\":\"You are helpful.\"},"
                + "{\"role\":\"user\",\"content\":\"" + content + "\"}],\"max_tokens\":4096,\"temperature\":0.7,"
                + "\"top_p\":1,\"stream\":true}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        buffer = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buffer.release();
    }

    @Benchmark
    public int jacksonStrict() throws IOException {
        return JacksonTokens.count(STRICT, buffer);
    }

    @Benchmark
    public InspectedRequest inspect() {
        return inspector.inspect(Endpoint.CHAT_COMPLETIONS, buffer);
    }
}
