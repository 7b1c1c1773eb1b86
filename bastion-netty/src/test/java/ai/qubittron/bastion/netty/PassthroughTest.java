package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What reaches the upstream is what the client sent, byte for byte, without the client's credentials. */
class PassthroughTest {

    private static final String UPSTREAM_REPLY = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"gpt-oss-120b\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1,\"total_tokens\":13},"
            + "\"vendor_extra\":{\"nested\":[1,2,{\"deep\":\"\\u00e9\"}]}}";

    private static final AtomicReference<byte[]> receivedBody = new AtomicReference<>();
    private static final AtomicReference<Headers> receivedHeaders = new AtomicReference<>();
    private static HttpServer upstream;
    private static Bastion gateway;
    private static String key;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            receivedBody.set(exchange.getRequestBody().readAllBytes());
            receivedHeaders.set(exchange.getRequestHeaders());
            byte[] reply = UPSTREAM_REPLY.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        });
        upstream.start();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        key = keys.create(new ApiPrincipal("k1", "a1", ApiPrincipal.DEFAULT_TIER, Set.of()));
        gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys)
                .worker("gpt-oss-120b", URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()))
                .loadProbe(Duration.ZERO) // the upstream records the last request, whatever its path
                .build().start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.stop(0);
    }

    @Test
    void unknownFieldsAndOddUnicodeReachTheUpstreamByteForByte() throws Exception {
        String body = "{\n  \"model\" : \"gpt-oss-120b\",\n"
                + "  \"messages\": [{\"role\": \"user\", \"content\": \"Ünïcödé 🐉 \\u00e9\\ud83d\\ude00 \\\"quoted\\\" \\\\ "
                + "עברית e\u0301 \\u0000 tab\\t\"}],\n"
                + "  \"x_vendor\": {\"nested\": {\"deeper\": [1, 2.50, -0.0, 1e400, 123456789012345678901234567890, "
                + "true, null, {\"model\": \"not-this-one\"}]}, \"empty\": {}, \"list\": []},\n"
                + "  \"temperature\": 0.70,\t\"logit_bias\": {\"50256\": -100}\n}";
        byte[] sent = body.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = post(sent);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(receivedBody.get()).isEqualTo(sent);
    }

    @Test
    void theClientsCredentialsNeverReachTheUpstream() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).isEqualTo(200);
        Headers headers = receivedHeaders.get();
        assertThat(headers.containsKey("Authorization")).isFalse();
        assertThat(headers.values().stream().flatMap(v -> v.stream())).noneMatch(v -> v.contains(key));
        assertThat(headers.getFirst("X-request-id")).startsWith("req_");
        assertThat(response.headers().firstValue("x-request-id")).hasValue(headers.getFirst("X-request-id"));
    }

    @Test
    void anAliasIsRewrittenToTheUpstreamNameAndNothingElseChanges() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"openai/gpt-oss-120b\"}],\"model\":\"openai/gpt-oss-120b\","
                + "\"extra\":{\"model\":\"openai/gpt-oss-120b\"}}";
        HttpResponse<String> response = post(body.getBytes(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).isEqualTo(200);
        String expected = "{\"messages\":[{\"role\":\"user\",\"content\":\"openai/gpt-oss-120b\"}],\"model\":\"gpt-oss-120b\","
                + "\"extra\":{\"model\":\"openai/gpt-oss-120b\"}}";
        assertThat(new String(receivedBody.get(), StandardCharsets.UTF_8)).isEqualTo(expected);
    }

    @Test
    void theUpstreamResponseIsRelayedWithXMetricsAdded() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                .getBytes(StandardCharsets.UTF_8));
        String body = response.body();
        assertThat(body).startsWith(UPSTREAM_REPLY.substring(0, UPSTREAM_REPLY.length() - 1) + ",\"x_metrics\":{\"ttft_seconds\":");
        JsonNode json = new ObjectMapper().readTree(body);
        assertThat(json.get("x_metrics").fieldNames()).toIterable()
                .containsExactly("ttft_seconds", "tps", "total_time_seconds");
        assertThat(json.get("x_metrics").get("total_time_seconds").asDouble()).isPositive();
        assertThat(json.get("vendor_extra").get("nested").get(2).get("deep").asText()).isEqualTo("é");
        assertThat(response.headers().firstValue("content-length")).hasValue(String.valueOf(body.getBytes(StandardCharsets.UTF_8).length));
    }

    private static HttpResponse<String> post(byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + key)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
