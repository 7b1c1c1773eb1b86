package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP/2 without TLS, "h2c with prior knowledge" (a load balancer that ends TLS and speaks HTTP/2 to its
 * backends, gRPC-style clients): a plain listener serves it beside HTTP/1.1, told apart by the first bytes.
 */
class CleartextHttp2Test {

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1);

    private static final OkHttpClient h2c = new OkHttpClient.Builder()
            .protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).readTimeout(30, TimeUnit.SECONDS).build();

    @AfterAll
    static void stop() {
        h2c.dispatcher().executorService().shutdown();
        h2c.connectionPool().evictAll();
    }

    private static Request.Builder request(String path) {
        return new Request.Builder().url(gateway.uri(path).toString()).header("Authorization", "Bearer " + gateway.key());
    }

    @Test
    void requestsStreamsAndUploadsAreServedOverCleartextHttp2() throws IOException {
        String chat = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4";
        List<Response> responses = new ArrayList<>();
        try (Response plain = h2c.newCall(request("/v1/chat/completions")
                .post(RequestBody.create(chat + "}", MediaType.get("application/json"))).build()).execute();
             Response stream = h2c.newCall(request("/v1/chat/completions")
                     .post(RequestBody.create(chat + ",\"stream\":true}", MediaType.get("application/json"))).build()).execute()) {
            assertThat(plain.protocol()).isEqualTo(Protocol.H2_PRIOR_KNOWLEDGE);
            assertThat(plain.code()).isEqualTo(200);
            assertThat(plain.body().string()).contains("\"x_metrics\":");
            assertThat(stream.code()).isEqualTo(200);
            assertThat(stream.body().string()).endsWith("data: [DONE]\n\n");
        }
        MultipartBody form = new MultipartBody.Builder().setType(MultipartBody.FORM)
                .addFormDataPart("file", "a.wav", RequestBody.create(new byte[64_000], MediaType.get("audio/wav")))
                .addFormDataPart("model", "whisper-large-v3").build();
        try (Response transcript = h2c.newCall(request("/v1/audio/transcriptions").post(form).build()).execute()) {
            assertThat(transcript.code()).isEqualTo(200);
            assertThat(transcript.body().string()).contains("\"usage\":{\"type\":\"duration\",\"seconds\":4}");
        }
        try (Response anonymous = h2c.newCall(new Request.Builder().url(gateway.uri("/v1/models").toString()).build()).execute()) {
            assertThat(anonymous.code()).isEqualTo(401);
        }
        // and HTTP/1.1 on the same listener, as before
        assertThat(gateway.send(gateway.post("/v1/chat/completions", chat + "}").build()).statusCode()).isEqualTo(200);
    }
}
