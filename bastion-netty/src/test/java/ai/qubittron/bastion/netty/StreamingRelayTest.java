package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Streams are relayed chunk by chunk as they are produced, and end with x_metrics and [DONE]. */
class StreamingRelayTest {

    private static final int INTER_TOKEN_MILLIS = 60;

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1,
            SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(10).interTokenMillis(INTER_TOKEN_MILLIS).build());

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theFirstChunkReachesTheClientLongBeforeTheLastIsProduced() throws Exception {
        List<Arrival> arrivals = stream("/v1/chat/completions",
                "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":30,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Count from 1 to 100.\"}]}");
        List<Arrival> tokens = arrivals.stream().filter(a -> a.line.contains("\"content\":\"") && !a.line.contains("\"content\":\"\"")).toList();
        assertThat(tokens).hasSizeGreaterThanOrEqualTo(8);
        long spreadMillis = (tokens.get(tokens.size() - 1).nanos - tokens.get(0).nanos) / 1_000_000;
        // had the gateway buffered the stream, every chunk would arrive at once
        assertThat(spreadMillis).isGreaterThanOrEqualTo((tokens.size() - 1) * INTER_TOKEN_MILLIS / 2L);
    }

    @Test
    void withoutUsageTheFinishChunkCarriesXMetricsAndTheStreamEndsWithDone() throws Exception {
        List<String> data = dataOf(stream("/v1/chat/completions",
                "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = parseAllButDone(data);
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.get("choices").get(0).get("finish_reason").isNull()).isFalse();
        assertXMetrics(last);
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.has("x_metrics")).isFalse());
        assertThat(chunks).allSatisfy(c -> assertThat(c.has("usage") && !c.get("usage").isNull()).isFalse());
    }

    @Test
    void withUsageTheUsageChunkCarriesXMetrics() throws Exception {
        List<String> data = dataOf(stream("/v1/chat/completions",
                "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":5,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = parseAllButDone(data);
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.get("usage").get("completion_tokens").asInt()).isEqualTo(5);
        assertXMetrics(last);
        assertThat(last.get("x_metrics").get("tps").asDouble()).isPositive();
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.has("x_metrics")).isFalse());
    }

    @Test
    void completionsStreamTheSameWay() throws Exception {
        List<String> data = dataOf(stream("/v1/completions",
                "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":4,\"prompt\":\"The capital of Canada is\"}"));
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = parseAllButDone(data);
        assertThat(chunks.get(0).get("object").asText()).isEqualTo("text_completion");
        assertXMetrics(chunks.get(chunks.size() - 1));
    }

    @Test
    void responsesStreamCarriesXMetricsOnCompleted() throws Exception {
        List<Arrival> arrivals = stream("/v1/responses",
                "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_output_tokens\":4,\"input\":\"Reply with: ok\",\"store\":false}");
        List<String> events = arrivals.stream().filter(a -> a.line.startsWith("event: ")).map(a -> a.line.substring(7)).toList();
        assertThat(events).startsWith("response.created").endsWith("response.completed").contains("response.output_text.delta");
        List<JsonNode> chunks = parseAllButDone(dataOf(arrivals));
        JsonNode completed = chunks.get(chunks.size() - 1);
        assertThat(completed.get("type").asText()).isEqualTo("response.completed");
        assertThat(completed.get("response").get("usage").get("output_tokens").asInt()).isEqualTo(4);
        assertXMetrics(completed);
    }

    @Test
    void aClientThatHangsUpCancelsTheUpstreamRequest() throws Exception {
        long cancelledBefore = gateway.worker(0).stats().requestsCancelled();
        String body = "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gateway.key()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int dataLines = 0;
            String line;
            while (dataLines < 3 && (line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    dataLines++;
                }
            }
            assertThat(dataLines).isEqualTo(3);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gateway.worker(0).stats().requestsCancelled() == cancelledBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(gateway.worker(0).stats().requestsCancelled()).isEqualTo(cancelledBefore + 1);
        while (gateway.worker(0).stats().running() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(gateway.worker(0).stats().running()).isZero();
    }

    private static void assertXMetrics(JsonNode chunk) {
        JsonNode metrics = chunk.get("x_metrics");
        assertThat(metrics).as("x_metrics on %s", chunk).isNotNull();
        assertThat(metrics.fieldNames()).toIterable().containsExactly("ttft_seconds", "tps", "total_time_seconds");
        assertThat(metrics.get("ttft_seconds").asDouble()).isPositive();
        assertThat(metrics.get("total_time_seconds").asDouble()).isGreaterThanOrEqualTo(metrics.get("ttft_seconds").asDouble());
    }

    private record Arrival(long nanos, String line) {
    }

    private static List<Arrival> stream(String path, String body) throws Exception {
        HttpResponse<Stream<String>> response = gateway.http().send(gateway.post(path, body).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<Arrival> arrivals = new ArrayList<>();
        try (Stream<String> lines = response.body()) {
            lines.forEach(line -> arrivals.add(new Arrival(System.nanoTime(), line)));
        }
        return arrivals;
    }

    private static List<String> dataOf(List<Arrival> arrivals) {
        return arrivals.stream().filter(a -> a.line.startsWith("data: ")).map(a -> a.line.substring(6)).toList();
    }

    private static List<JsonNode> parseAllButDone(List<String> data) throws Exception {
        List<JsonNode> chunks = new ArrayList<>();
        for (String d : data) {
            if (!d.equals("[DONE]")) {
                chunks.add(JSON.readTree(d));
            }
        }
        return chunks;
    }
}
