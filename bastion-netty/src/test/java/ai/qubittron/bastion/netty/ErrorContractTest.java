package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimFaults;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every row of the error table this gateway answers by itself, with status and exact JSON. */
class ErrorContractTest {

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1).configure(b -> b.maxRequestBytes(64 * 1024));

    private static final String CHAT = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void missingKeyIs401WithTheDocumentedBody() {
        HttpResponse<String> response = gateway.send(HttpRequest.newBuilder(gateway.uri("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build());
        assertError(response, 401,
                "{\"error\":{\"message\":\"Invalid API key\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
    }

    @Test
    void wrongKeyIs401WithTheDocumentedBody() {
        for (String auth : new String[] {"Bearer qbt_notakeyatall000000000000000000", "Bearer sk-other", "Basic abc", "Bearer "}) {
            HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", CHAT)
                    .setHeader("Authorization", auth).build());
            assertError(response, 401,
                    "{\"error\":{\"message\":\"Invalid API key\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
        }
    }

    @Test
    void modelsListingNeedsAKeyToo() {
        HttpResponse<String> response = gateway.send(HttpRequest.newBuilder(gateway.uri("/v1/models")).GET().build());
        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void badJsonIs400InvalidRequest() {
        HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", "{\"model\": \"gpt-oss-120b\", ").build());
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"error\":{\"message\":\"We could not parse the JSON body of your request: ")
                .endsWith("\",\"type\":\"invalid_request_error\",\"code\":\"invalid_request\"}}");
    }

    @Test
    void missingMessagesIs400NamingTheField() {
        assertError(gateway.send(gateway.post("/v1/chat/completions", "{\"model\":\"gpt-oss-120b\"}").build()), 400,
                "{\"error\":{\"message\":\"Missing required parameter: 'messages'.\",\"type\":\"invalid_request_error\","
                        + "\"code\":\"invalid_request\"}}");
    }

    @Test
    void wrongTypeIs400NamingTheField() {
        assertError(gateway.send(gateway.post("/v1/completions", "{\"model\":\"gpt-oss-120b\",\"prompt\":\"x\",\"stream\":\"yes\"}").build()),
                400, "{\"error\":{\"message\":\"Invalid type for 'stream': expected a boolean, but got a string instead.\","
                        + "\"type\":\"invalid_request_error\",\"code\":\"invalid_request\"}}");
    }

    @Test
    void unknownModelIs400ModelNotFound() {
        assertError(gateway.send(gateway.post("/v1/chat/completions",
                        "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").build()), 400,
                "{\"error\":{\"message\":\"The model 'gpt-9' does not exist or does not support /v1/chat/completions.\","
                        + "\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}");
    }

    @Test
    void modelWithoutResponsesSupportIs400ModelNotFoundThere() {
        String body = "{\"model\":\"Mistral-7B-Instruct-v0.3\",\"input\":\"hi\",\"store\":false}";
        assertError(gateway.send(gateway.post("/v1/responses", body).build()), 400,
                "{\"error\":{\"message\":\"The model 'Mistral-7B-Instruct-v0.3' does not exist or does not support "
                        + "/v1/responses.\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}");
        // the same model is fine on chat
        HttpResponse<String> chat = gateway.send(gateway.post("/v1/chat/completions",
                "{\"model\":\"Mistral-7B-Instruct-v0.3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").build());
        assertThat(chat.statusCode()).isEqualTo(200);
    }

    @Test
    void upstreamFailureIs502UpstreamError() {
        gateway.worker(0).faults(SimFaults.builder().errorRate(1.0).build());
        try {
            assertError(gateway.send(gateway.post("/v1/chat/completions", CHAT).build()), 502,
                    "{\"error\":{\"message\":\"The upstream model server answered 500.\",\"type\":\"api_error\","
                            + "\"code\":\"upstream_error\"}}");
        } finally {
            gateway.worker(0).faults(SimFaults.NONE);
        }
        assertThat(gateway.send(gateway.post("/v1/chat/completions", CHAT).build()).statusCode()).isEqualTo(200);
    }

    @Test
    void statefulResponsesAreRejectedUpstreamAnd502() {
        assertError(gateway.send(gateway.post("/v1/responses",
                        "{\"model\":\"gpt-oss-120b\",\"input\":\"Reply with: ok\",\"store\":true}").build()), 502,
                "{\"error\":{\"message\":\"The upstream model server answered 500.\",\"type\":\"api_error\","
                        + "\"code\":\"upstream_error\"}}");
    }

    @Test
    void unreachableUpstreamIs502UpstreamError() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (Bastion other = Bastion.builder().port(0).keyStore(gateway.keys())
                .worker("gpt-oss-120b", URI.create("http://127.0.0.1:" + closedPort)).build().start()) {
            HttpResponse<String> response = gateway.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + other.port() + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + gateway.key())
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build());
            assertError(response, 502, "{\"error\":{\"message\":\"The upstream model server for 'gpt-oss-120b' is "
                    + "unreachable.\",\"type\":\"api_error\",\"code\":\"upstream_error\"}}");
        }
    }

    @Test
    void tooLargeBodyIs413() {
        String big = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(100_000) + "\"}]}";
        HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", big).build());
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).contains("\"type\":\"invalid_request_error\",\"code\":\"request_entity_too_large\"");
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() {
        HttpResponse<String> notFound = gateway.send(gateway.post("/v1/nope", "{}").build());
        assertError(notFound, 404, "{\"error\":{\"message\":\"Invalid URL (POST /v1/nope)\",\"type\":\"invalid_request_error\","
                + "\"code\":\"not_found\"}}");
        HttpResponse<String> wrongMethod = gateway.send(HttpRequest.newBuilder(gateway.uri("/v1/chat/completions"))
                .header("Authorization", "Bearer " + gateway.key()).GET().build());
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.body()).contains("\"code\":\"method_not_allowed\"");
    }

    private static void assertError(HttpResponse<String> response, int status, String json) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo(json);
    }
}
