package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code POST /api/v1/tts/text_to_audio}: JSON in, the worker's audio relayed back as it comes, with its
 * content type; the model may be left out for the catalog's default speech model.
 */
@ExtendWith(LeakDetectionExtension.class)
class TextToSpeechTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelPrice PRICE = new ModelPrice(2_000_000, 0);
    private static final byte[] AUDIO = new byte[300_000];

    private static final AtomicReference<String> receivedPath = new AtomicReference<>();
    private static final AtomicReference<String> receivedBody = new AtomicReference<>();
    private static final AtomicBoolean withLength = new AtomicBoolean();
    private static final AtomicReference<String> error = new AtomicReference<>();

    private static HttpServer upstream;
    private static Bastion gateway;
    private static InMemoryLedger ledger;
    private static String key;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws IOException {
        new Random(3).nextBytes(AUDIO);
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            receivedPath.set(exchange.getRequestURI().getPath());
            receivedBody.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            if (error.get() != null) {
                byte[] body = error.get().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(400, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "audio/wav");
            exchange.sendResponseHeaders(200, withLength.get() ? AUDIO.length : 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int at = 0; at < AUDIO.length; at += 7000) {
                    out.write(AUDIO, at, Math.min(7000, AUDIO.length - at));
                    out.flush();
                }
            }
        });
        upstream.start();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        key = keys.create(new ApiPrincipal("k1", "acct", ApiPrincipal.DEFAULT_TIER, Set.of()));
        ledger = new InMemoryLedger();
        ledger.open("acct", 1_000_000_000L);
        gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys).discovery(false).ledger(ledger)
                .prices(new PriceBook(PRICE))
                .worker("Kokoro-82M", URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()))
                .worker("gpt-oss-120b", URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()))
                .loadProbe(Duration.ZERO)
                .build().start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.stop(0);
    }

    @BeforeEach
    void reset() {
        receivedPath.set(null);
        receivedBody.set(null);
        withLength.set(false);
        error.set(null);
    }

    @Test
    void aRequestWithoutModelGetsTheDefaultSpeechModelAndTheAudioAsItCame() throws Exception {
        String body = "{\"input\":\"Hello from Bastion.\",\"voice\":\"af_heart\",\"response_format\":\"wav\"}";
        long spentBefore = spent();

        HttpResponse<byte[]> response = http.send(post(body), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("audio/wav");
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(response.body()).isEqualTo(AUDIO);
        // OpenAI's speech path on the worker, told the model's name; nothing else changed
        assertThat(receivedPath.get()).isEqualTo("/v1/audio/speech");
        assertThat(receivedBody.get()).isEqualTo("{\"model\":\"Kokoro-82M\"," + body.substring(1));
        // billed by the request's text: about 4 bytes a token
        assertThat(spent() - spentBefore).isEqualTo(PRICE.costMicros((body.length() + 3) / 4, 0));
        assertThat(ledger.balance("acct").toCompletableFuture().join().reservedMicros()).isZero();
    }

    @Test
    void anAliasIsRewrittenAndTheUpstreamLengthIsKept() throws Exception {
        withLength.set(true);
        HttpResponse<byte[]> response = http.send(post("{\"model\":\"hexgrad/Kokoro-82M\",\"input\":\"Hi\"}"),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-length")).hasValue(Integer.toString(AUDIO.length));
        assertThat(response.body()).isEqualTo(AUDIO);
        assertThat(receivedBody.get()).isEqualTo("{\"model\":\"Kokoro-82M\",\"input\":\"Hi\"}");
    }

    @Test
    void anUpstreamErrorIsRelayedAsItsJson() throws Exception {
        error.set("{\"error\":{\"message\":\"voice 'x' is unknown\",\"type\":\"invalid_request_error\",\"code\":\"bad_voice\"}}");
        HttpResponse<String> response = http.send(post("{\"input\":\"Hi\",\"voice\":\"x\"}"), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).get("error").get("code").asText()).isEqualTo("bad_voice");
    }

    @Test
    void badRequestsAreAnsweredByTheGateway() throws Exception {
        assertError(post("{\"model\":\"Kokoro-82M\"}"), 400, "invalid_request", "Missing required parameter: 'input'");
        assertError(post("{\"input\":\"\"}"), 400, "invalid_request", "Invalid 'input': empty string");
        assertError(post("{\"input\":[\"a\"]}"), 400, "invalid_request", "expected a string");
        assertError(post("{\"input\":\"Hi\",\"model\":\"gpt-oss-120b\"}"), 400, "model_not_found", "gpt-oss-120b");
        assertError(HttpRequest.newBuilder(uri()).header("Authorization", "Bearer " + key).GET().build(), 405,
                "method_not_allowed", "GET");
        assertThat(receivedBody.get()).isNull();
    }

    private static void assertError(HttpRequest request, int status, String code, String message) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode json = JSON.readTree(response.body()).get("error");
        assertThat(json.get("code").asText()).isEqualTo(code);
        assertThat(json.get("message").asText()).contains(message);
    }

    private static HttpRequest post(String json) {
        return HttpRequest.newBuilder(uri()).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    /** The endpoint sits one level above {@code /v1}. */
    private static URI uri() {
        return URI.create("http://127.0.0.1:" + gateway.port() + "/api/v1/tts/text_to_audio");
    }

    private static long spent() {
        return ledger.balance("acct").toCompletableFuture().join().spentMicros();
    }
}
