package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.netty.testing.ScriptedUpstream;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Upstreams that answer in ways no well-behaved server would: the client still gets a clear answer. */
class UpstreamMisbehaviourTest {

    private static final String CHAT = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String STREAM_CHAT = "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String OK_BODY = "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[],"
            + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + OK_BODY.length() + "\r\n\r\n" + OK_BODY;

    private final InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
    private final String key = keys.create(new ApiPrincipal("k", "a", ApiPrincipal.DEFAULT_TIER, Set.of()));
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aMalformedChunkIs502AndTheConnectionIsNotReused() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream(ScriptedUpstream.byNumber(n -> n == 1
                ? "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nZZZ\r\n"
                : OK));
             Bastion gateway = gateway(upstream, Duration.ofSeconds(30))) {
            HttpResponse<String> first = post(gateway, CHAT);
            assertThat(first.statusCode()).isEqualTo(502);
            assertThat(first.body()).isEqualTo("{\"error\":{\"message\":\"The upstream model server sent a malformed response.\","
                    + "\"type\":\"api_error\",\"code\":\"upstream_error\"}}");
            HttpResponse<String> second = post(gateway, CHAT);
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(upstream.requests()).isEqualTo(2);
        }
    }

    @Test
    void aSilentWorkerOnAReusedConnectionIsNotSentTheRequestTwice() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream(ScriptedUpstream.byNumber(n -> n == 1 ? OK : null));
             Bastion gateway = gateway(upstream, Duration.ofMillis(500))) {
            assertThat(post(gateway, CHAT).statusCode()).isEqualTo(200);
            HttpResponse<String> silent = post(gateway, CHAT);
            assertThat(silent.statusCode()).isEqualTo(502);
            assertThat(silent.body()).contains("sent nothing for 500 ms");
            assertThat(upstream.requests()).isEqualTo(2);
        }
    }

    @Test
    void anInterimResponseIsSkipped() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream(ScriptedUpstream.always("HTTP/1.1 100 Continue\r\n\r\n" + OK));
             Bastion gateway = gateway(upstream, Duration.ofSeconds(30))) {
            HttpResponse<String> response = post(gateway, CHAT);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.body()).startsWith(OK_BODY.substring(0, OK_BODY.length() - 1) + ",\"x_metrics\":");
        }
    }

    @Test
    void commentsAndMultiLineDataDoNotCostTheFinalChunkItsXMetrics() throws Exception {
        String events = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{},\n"
                + "data: \"finish_reason\":\"stop\"}]}\n\n"
                + ": keep-alive\n\n"
                + "data: [DONE]\n\n";
        String response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(events.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + events + "\r\n0\r\n\r\n";
        try (ScriptedUpstream upstream = new ScriptedUpstream(ScriptedUpstream.always(response));
             Bastion gateway = gateway(upstream, Duration.ofSeconds(30))) {
            String body = post(gateway, STREAM_CHAT).body();
            assertThat(body).contains(": keep-alive\n\n").endsWith("data: [DONE]\n\n");
            assertThat(body).contains("data: {\"choices\":[{\"index\":0,\"delta\":{},\n"
                    + "data: \"finish_reason\":\"stop\"}],\"x_metrics\":{\"ttft_seconds\":");
        }
    }

    @Test
    void aStreamCutByTheWorkerEndsWithAnErrorEvent() throws Exception {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        String event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":null}]}\n\n";
        String chunk = Integer.toHexString(event.length()) + "\r\n" + event + "\r\n";
        try (ScriptedUpstream upstream = new ScriptedUpstream((n, h, out) -> {
                out.write((head + chunk).getBytes(StandardCharsets.UTF_8));
                return false;
             });
             Bastion gateway = gateway(upstream, Duration.ofSeconds(30))) {
            List<String> data = post(gateway, STREAM_CHAT).body().lines().filter(l -> l.startsWith("data: ")).toList();
            assertThat(data).hasSize(2);
            JsonNode error = new ObjectMapper().readTree(data.get(1).substring(6));
            assertThat(error.get("error").get("code").asText()).isEqualTo("upstream_error");
        }
    }

    @Test
    void aResponseCutBeforeItReachedTheClientIsAnsweredByAnotherWorker() throws Exception {
        // the head and most of the body, then the connection closes: nothing of it was sent to the client
        String answer = answeredByTheOtherWorker(OK.substring(0, OK.length() - 10), OK, CHAT);
        assertThat(answer).startsWith(OK_BODY.substring(0, OK_BODY.length() - 1) + ",\"x_metrics\":");
    }

    @Test
    void aStreamCutBeforeItsFirstEventIsAnsweredByAnotherWorker() throws Exception {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        String events = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: [DONE]\n\n";
        String stream = head + Integer.toHexString(events.length()) + "\r\n" + events + "\r\n0\r\n\r\n";
        String answer = answeredByTheOtherWorker(head, stream, STREAM_CHAT);
        assertThat(answer).startsWith("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}")
                .endsWith("data: [DONE]\n\n");
    }

    /**
     * Sends {@code request} until a worker that writes {@code cut} and closes has been tried, with a healthy
     * worker answering {@code ok} beside it: every answer must be the healthy one's. Returns the last
     * answer's body. The healthy worker answers after 300 ms, so that once it has served a stream its
     * measured time to first token is above the broken one's initial estimate and the next pick goes there
     * (before any measurement, ties are broken at random).
     */
    private String answeredByTheOtherWorker(String cut, String ok, String request) throws Exception {
        try (ScriptedUpstream broken = new ScriptedUpstream((n, h, out) -> {
                out.write(cut.getBytes(StandardCharsets.UTF_8));
                return false;
             });
             ScriptedUpstream healthy = new ScriptedUpstream((n, h, out) -> {
                Thread.sleep(300);
                out.write(ok.getBytes(StandardCharsets.UTF_8));
                return true;
             });
             Bastion gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys)
                     .worker("gpt-oss-120b", URI.create(broken.baseUrl()))
                     .worker("gpt-oss-120b", URI.create(healthy.baseUrl()))
                     .loadProbe(Duration.ZERO)
                     .build().start()) {
            int sent = 0;
            HttpResponse<String> response = null;
            while (broken.requests() == 0 && sent < 30) {
                response = post(gateway, request);
                sent++;
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            }
            assertThat(broken.requests()).isPositive();
            assertThat(healthy.requests()).isEqualTo(sent);
            return response.body();
        }
    }

    @Test
    void withNoOtherWorkerACutResponseIs502() throws Exception {
        String cut = OK.substring(0, OK.length() - 10);
        try (ScriptedUpstream upstream = new ScriptedUpstream((n, h, out) -> {
                out.write(cut.getBytes(StandardCharsets.UTF_8));
                return false;
             });
             Bastion gateway = gateway(upstream, Duration.ofSeconds(30))) {
            HttpResponse<String> response = post(gateway, CHAT);
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"The upstream model server closed the connection"
                    + " before the response was complete.\",\"type\":\"api_error\",\"code\":\"upstream_error\"}}");
        }
    }

    private Bastion gateway(ScriptedUpstream upstream, Duration idle) {
        return Bastion.builder().port(0).ioThreads(1).keyStore(keys)
                .worker("gpt-oss-120b", URI.create(upstream.baseUrl()))
                .upstreamIdleTimeout(idle)
                .loadProbe(Duration.ZERO) // the script numbers every request, whatever its path
                .build().start();
    }

    private HttpResponse<String> post(Bastion gateway, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
