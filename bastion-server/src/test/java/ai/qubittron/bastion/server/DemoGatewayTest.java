package ai.qubittron.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.sim.SimConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The product documents' curl examples against the demo deployment, with the base URL swapped. */
class DemoGatewayTest {

    private static final String KEY = "qbt_demo_test_key_0123456789";
    private static final String ADMIN_TOKEN = "demo-admin-token-0123";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static DemoGateway demo;

    @BeforeAll
    static void start() {
        demo = DemoGateway.start("127.0.0.1", 0, KEY, 2,
                SimConfig.builder().interTokenMillis(2).prefillMicrosPerToken(20).build(), 1, "127.0.0.1", 0, ADMIN_TOKEN);
    }

    @AfterAll
    static void stop() {
        demo.close();
    }

    @Test
    void modelsListsTheWholeCatalog() throws Exception {
        JsonNode models = JSON.readTree(send(HttpRequest.newBuilder(uri("/models"))
                .header("Authorization", "Bearer " + KEY).GET()).body());
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data")).hasSize(14);
        assertThat(models.get("data").get(0).get("object").asText()).isEqualTo("model");
    }

    @Test
    void chatCompletionExample() throws Exception {
        JsonNode chat = JSON.readTree(post("/chat/completions", "{\"model\": \"gpt-oss-120b\", \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"Reply with exactly: ok\"}], \"max_tokens\": 16}").body());
        assertThat(chat.get("object").asText()).isEqualTo("chat.completion");
        assertThat(chat.get("choices").get(0).get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(chat.get("usage").get("total_tokens").asInt()).isPositive();
        assertThat(chat.get("x_metrics").has("ttft_seconds")).isTrue();
    }

    @Test
    void requestsAreMeteredAndLimitsReported() throws Exception {
        long spentBefore = demo.ledger().balance(DemoGateway.DEMO_ACCOUNT).toCompletableFuture().join().spentMicros();
        HttpResponse<String> response = post("/chat/completions", "{\"model\": \"gpt-oss-120b\", \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 4}");
        assertThat(response.headers().firstValue("x-ratelimit-limit-requests")).hasValue("6000");
        assertThat(demo.ledger().balance(DemoGateway.DEMO_ACCOUNT).toCompletableFuture().join().spentMicros())
                .isGreaterThan(spentBefore);
    }

    @Test
    void streamedChatEndsWithDone() throws Exception {
        String body = post("/chat/completions", "{\"model\": \"gpt-oss-120b\", \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"Count from 1 to 5.\"}], \"stream\": true}").body();
        List<String> data = body.lines().filter(l -> l.startsWith("data: ")).toList();
        assertThat(data.get(data.size() - 1)).isEqualTo("data: [DONE]");
        assertThat(data.get(data.size() - 2)).contains("\"x_metrics\":{");
    }

    @Test
    void completionsExample() throws Exception {
        JsonNode completion = JSON.readTree(post("/completions",
                "{\"model\": \"gpt-oss-120b\", \"prompt\": \"The capital of Canada is\", \"max_tokens\": 16}").body());
        assertThat(completion.get("object").asText()).isEqualTo("text_completion");
        assertThat(completion.get("x_metrics").has("tps")).isTrue();
    }

    @Test
    void responsesExample() throws Exception {
        JsonNode response = JSON.readTree(post("/responses", "{\"model\": \"gpt-oss-120b\", \"input\": \"Reply with: ok\", "
                + "\"max_output_tokens\": 32, \"store\": false}").body());
        assertThat(response.get("object").asText()).isEqualTo("response");
        assertThat(response.get("output").get(0).get("content").get(0).get("type").asText()).isEqualTo("output_text");
        assertThat(response.get("usage").get("output_tokens").asInt()).isPositive();
        assertThat(response.get("x_metrics").has("total_time_seconds")).isTrue();
    }

    @Test
    void theAdminApiShowsTheDemoAccount() throws Exception {
        JsonNode account = JSON.readTree(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + demo.admin().port()
                + "/admin/v1/accounts/" + DemoGateway.DEMO_ACCOUNT)).header("Authorization", "Bearer " + ADMIN_TOKEN).GET()).body());
        assertThat(account.get("tier").asText()).isEqualTo(DemoGateway.DEMO_TIER);
        assertThat(account.get("balance_micros").asLong()).isPositive();
    }

    @Test
    void theAdminListenerServesPrometheusMetricsWithoutTheToken() throws Exception {
        post("/chat/completions", "{\"model\": \"gpt-oss-120b\", \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"Count from 1 to 5.\"}], \"stream\": true}");
        HttpResponse<String> metrics = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + demo.admin().port()
                + "/metrics")).GET());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        String text = metrics.body();
        assertThat(text).containsPattern("(?m)^bastion_requests_total\\{endpoint=\"chat\\.completions\",model=\"gpt-oss-120b\","
                + "status=\"200\"} [1-9]");
        assertThat(text).contains("# TYPE bastion_ttft_seconds histogram",
                "bastion_ttft_seconds_bucket{endpoint=\"chat.completions\",model=\"gpt-oss-120b\",le=\"+Inf\"}",
                "bastion_tokens_per_second_bucket{", "bastion_overhead_seconds_bucket{",
                "bastion_worker_in_flight{model=\"gpt-oss-120b\",worker=\"" + demo.workers().get(0).baseUrl() + "\"} 0",
                "bastion_worker_ttft_per_token_seconds{", "bastion_worker_itl_seconds{", "bastion_worker_circuit{",
                "bastion_worker_ejections_total{", "jvm_memory_used_bytes{", "netty_allocator_memory_used{");
    }

    @Test
    void demoRejectsAKeyWithoutThePrefix() {
        int exit = new CommandLine(new BastionMain()).execute("demo", "--port", "0", "--demo-key", "sk-not-ours");
        assertThat(exit).isEqualTo(2);
    }

    private static URI uri(String path) {
        return URI.create(demo.gateway().baseUrl() + path);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri(path))
                .header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
