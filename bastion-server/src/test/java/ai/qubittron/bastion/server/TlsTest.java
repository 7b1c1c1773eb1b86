package ai.qubittron.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS from real clients against the demo deployment with a self-signed certificate they trust: HTTP/2
 * and HTTP/1.1 chosen by ALPN, the OpenAI SDK (OkHttp, which prefers h2), streams over HTTP/2, and the
 * plain-HTTP listener that only redirects.
 */
class TlsTest {

    private static final String KEY = "qbt_tls_test_key_0123456789";
    private static final String CHAT = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"max_tokens\":8";

    @TempDir
    static Path dir;
    private static SelfSignedCertificate certificate;
    private static DemoGateway demo;
    private static SSLContext trusting;
    private static X509TrustManager trustManager;

    @BeforeAll
    static void start() throws Exception {
        certificate = SelfSignedCertificate.generate(dir, SelfSignedCertificate.LOCAL_NAMES, Duration.ofDays(1));
        demo = DemoGateway.start("127.0.0.1", 0, KEY, 1, SimConfig.builder().interTokenMillis(1).prefillMicrosPerToken(10).build(),
                1, "127.0.0.1", 0, "tls-admin-token-0123",
                new DemoGateway.Https(certificate.certificate(), certificate.privateKey(), 0));
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("bastion", certificate.x509());
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        trustManager = (X509TrustManager) factory.getTrustManagers()[0];
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, factory.getTrustManagers(), null);
    }

    @AfterAll
    static void stop() {
        demo.close();
    }

    private static Bastion gateway() {
        return demo.gateway();
    }

    private static URI uri(String path) {
        return URI.create("https://localhost:" + gateway().port() + "/v1" + path);
    }

    private static HttpResponse<String> post(HttpClient.Version version, String path, String body) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trusting).version(version).build();
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void http2IsNegotiatedByAlpnAndServesTheApi() throws Exception {
        HttpResponse<String> chat = post(HttpClient.Version.HTTP_2, "/chat/completions", CHAT + "}");

        assertThat(chat.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(chat.statusCode()).isEqualTo(200);
        assertThat(chat.body()).contains("\"object\":\"chat.completion\"").contains("\"x_metrics\":");
        assertThat(chat.headers().firstValue("x-request-id")).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));
        assertThat(chat.headers().firstValue("x-ratelimit-remaining-requests")).isPresent();
        // connection-level headers have no place in HTTP/2
        assertThat(chat.headers().map()).doesNotContainKeys("connection", "transfer-encoding");
    }

    @Test
    void http2StreamsAreRelayedEventByEventAndManyRunOnOneConnection() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_2).build();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> streams = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            streams.add(http.sendAsync(HttpRequest.newBuilder(uri("/chat/completions")).header("Authorization", "Bearer " + KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT + ",\"stream\":true}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var stream : streams) {
            HttpResponse<String> response = stream.join();
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
            assertThat(response.body()).contains("\"x_metrics\":").endsWith("data: [DONE]\n\n");
        }
    }

    @Test
    void uploadsAndSpeechAreRelayedOverHttp2() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_2).build();
        // 3 s of 16 kHz WAV (96 KB) then the model, then 2 MiB of padding in another field: held, then streamed
        int dataBytes = 96_000;
        java.nio.ByteBuffer wav = java.nio.ByteBuffer.allocate(44 + dataBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes).put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII))
                .putInt(16).putShort((short) 1).putShort((short) 1).putInt(16_000).putInt(32_000).putShort((short) 2)
                .putShort((short) 16).put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        java.io.ByteArrayOutputStream form = new java.io.ByteArrayOutputStream();
        form.writeBytes(("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        form.writeBytes(wav.array());
        form.writeBytes(("\r\n--b0undary\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-large-v3\r\n"
                + "--b0undary\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\n" + "p".repeat(2 << 20)
                + "\r\n--b0undary--\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] body = form.toByteArray();
        for (HttpRequest.BodyPublisher publisher : List.of(HttpRequest.BodyPublishers.ofByteArray(body),
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))) {
            HttpResponse<String> transcript = http.send(HttpRequest.newBuilder(uri("/audio/transcriptions"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "multipart/form-data; boundary=b0undary")
                    .POST(publisher).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(transcript.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(transcript.statusCode()).as(transcript.body()).isEqualTo(200);
            assertThat(transcript.body()).contains("\"usage\":{\"type\":\"duration\",\"seconds\":3}");
        }

        HttpResponse<byte[]> speech = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + gateway().port()
                        + "/api/v1/tts/text_to_audio")).header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"Hello\"}")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(speech.statusCode()).isEqualTo(200);
        assertThat(speech.headers().firstValue("content-type")).hasValue("audio/wav");
        assertThat(speech.body()).hasSize(44 + 5 * 60 * 24 * 2);
    }

    @Test
    void errorsAreTheSameOverHttp2() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(uri("/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT + "}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("\"code\":\"invalid_api_key\"");

        HttpResponse<String> bad = post(HttpClient.Version.HTTP_2, "/chat/completions", "{\"model\":");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).startsWith("{\"error\":{\"message\":\"We could not parse the JSON body of your request: ");
    }

    @Test
    void http11IsServedToClientsThatAskForIt() throws Exception {
        HttpResponse<String> chat = post(HttpClient.Version.HTTP_1_1, "/chat/completions", CHAT + "}");

        assertThat(chat.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(chat.statusCode()).isEqualTo(200);
        assertThat(chat.body()).contains("\"x_metrics\":");
    }

    @Test
    void theOpenAiSdkWorksOverHttpsPlainAndStreamed() {
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(gateway().baseUrl().replace("127.0.0.1", "localhost"))
                .apiKey(KEY)
                .sslSocketFactory(trusting.getSocketFactory())
                .trustManager(trustManager)
                .build();
        try {
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-oss-120b")
                    .addUserMessage("Say hi").maxCompletionTokens(8).build();
            ChatCompletion completion = client.chat().completions().create(params);
            assertThat(completion.choices()).hasSize(1);
            assertThat(completion.choices().get(0).message().content()).hasValueSatisfying(t -> assertThat(t).isNotBlank());

            StringBuilder streamed = new StringBuilder();
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(
                        choice -> choice.delta().content().ifPresent(streamed::append)));
            }
            assertThat(streamed.toString()).isEqualTo(completion.choices().get(0).message().content().orElseThrow());
        } finally {
            client.close();
        }
    }

    @Test
    void onlyTls12AndUpAreOffered() throws Exception {
        try (SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("localhost", gateway().port())) {
            socket.startHandshake();
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
        try (SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("localhost", gateway().port())) {
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            SSLParameters alpn = socket.getSSLParameters();
            alpn.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            socket.setSSLParameters(alpn);
            socket.startHandshake();
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
        }
        // a client that does not trust the certificate gets no connection
        HttpClient untrusting = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertThatThrownBy(() -> untrusting.send(HttpRequest.newBuilder(uri("/models")).GET().build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }

    @Test
    void thePlainListenerRedirectsToHttpsAndForwardsNothing() throws Exception {
        long received = demo.workers().stream().map(SimulatedWorker::stats).mapToLong(s -> s.requestsReceived()).sum();
        String body = CHAT + "}";
        try (Socket socket = new Socket("127.0.0.1", gateway().redirectPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions?trace=1 HTTP/1.1\r\nHost: localhost:" + gateway().redirectPort()
                    + "\r\nAuthorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII); // the gateway closes
            assertThat(response).startsWith("HTTP/1.1 308 Permanent Redirect\r\n")
                    .containsIgnoringCase("location: https://localhost:" + gateway().port() + "/v1/chat/completions?trace=1\r\n")
                    .containsIgnoringCase("connection: close");
        }
        // a Host the redirect could be abused with falls back to the gateway's own
        try (Socket socket = new Socket("127.0.0.1", gateway().redirectPort())) {
            socket.getOutputStream().write(("GET //evil.example/x HTTP/1.1\r\nHost: evil.example/x?\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(response).containsIgnoringCase("location: https://127.0.0.1:" + gateway().port() + "/evil.example/x\r\n");
        }
        long after = demo.workers().stream().map(SimulatedWorker::stats).mapToLong(s -> s.requestsReceived()).sum();
        assertThat(after).isEqualTo(received);
    }

    @Test
    void anHttp2ConnectionWithNoStreamIsClosedAfterTheIdleTimeout() throws Exception {
        try (Bastion idle = Bastion.builder().port(0).tls(certificate.certificate(), certificate.privateKey())
                .clientIdleTimeout(Duration.ofMillis(300)).build().start();
             SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("localhost", idle.port())) {
            SSLParameters alpn = socket.getSSLParameters();
            alpn.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(alpn);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
            OutputStream out = socket.getOutputStream();
            // the client preface and an empty SETTINGS frame, then nothing
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            out.flush();
            long start = System.nanoTime();
            byte[] received = socket.getInputStream().readAllBytes(); // until the gateway closes
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
            assertThat(hasFrame(received, 7)).as("a GOAWAY before the close").isTrue();
        }
    }

    /** Whether a run of HTTP/2 frames (from the start of the server's bytes) has one of this type. */
    private static boolean hasFrame(byte[] frames, int type) {
        int at = 0;
        while (at + 9 <= frames.length) {
            int length = (frames[at] & 0xff) << 16 | (frames[at + 1] & 0xff) << 8 | (frames[at + 2] & 0xff);
            if ((frames[at + 3] & 0xff) == type) {
                return true;
            }
            at += 9 + length;
        }
        return false;
    }

    @Test
    void unreadableTlsFilesFailTheBuildNamingTheFile() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> Bastion.builder().port(0).tls(missing, certificate.privateKey()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing.pem");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");
        assertThatThrownBy(() -> Bastion.builder().port(0).tls(garbage, certificate.privateKey()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("garbage.pem");
        assertThatThrownBy(() -> Bastion.builder().port(0).httpRedirectPort(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only with tls");
    }
}
