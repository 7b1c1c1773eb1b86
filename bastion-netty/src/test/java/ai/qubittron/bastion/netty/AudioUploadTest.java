package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.AudioMetering;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code POST /v1/audio/transcriptions}: the multipart upload is relayed as it arrives (the gateway never
 * holds it), routed and admitted by its {@code model} field wherever that comes, limited to 25 MiB, and
 * billed by the worker's reported duration.
 */
@ExtendWith(LeakDetectionExtension.class)
class AudioUploadTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BOUNDARY = "----bastion-test-7MA4YWxkTrZu0gW";
    private static final ModelPrice PRICE = new ModelPrice(5_000_000, 0);
    private static final long LIMIT = 25L * 1024 * 1024;

    /** What the upstream received of the last request. */
    private static final AtomicReference<String> receivedDigest = new AtomicReference<>();
    private static final AtomicLong receivedBytes = new AtomicLong();
    private static final AtomicReference<Headers> receivedHeaders = new AtomicReference<>();
    private static final AtomicInteger requests = new AtomicInteger();
    private static final AtomicReference<String> reply = new AtomicReference<>();

    private static HttpServer upstream;
    private static Bastion gateway;
    private static InMemoryLedger ledger;
    private static String key;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            requests.incrementAndGet();
            receivedHeaders.set(exchange.getRequestHeaders());
            MessageDigest sha = sha256();
            long n = 0;
            byte[] buffer = new byte[16384];
            try (InputStream in = exchange.getRequestBody()) {
                int read;
                while ((read = in.read(buffer)) > 0) {
                    sha.update(buffer, 0, read);
                    n += read;
                }
            } catch (IOException e) {
                receivedBytes.set(-n);
                exchange.close();
                return;
            }
            receivedBytes.set(n);
            receivedDigest.set(HexFormat.of().formatHex(sha.digest()));
            byte[] body = reply.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        upstream.start();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        key = keys.create(new ApiPrincipal("k1", "acct", ApiPrincipal.DEFAULT_TIER, Set.of()));
        ledger = new InMemoryLedger();
        ledger.open("acct", 1_000_000_000L);
        gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys).discovery(false).ledger(ledger)
                .prices(new PriceBook(PRICE))
                .worker("whisper-large-v3", URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()))
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
        receivedDigest.set(null);
        receivedBytes.set(0);
        receivedHeaders.set(null);
        requests.set(0);
        reply.set("{\"text\":\"hello world\",\"usage\":{\"type\":\"duration\",\"seconds\":12.25}}");
    }

    @Test
    void a24MiBUploadWithItsModelLastIsRelayedByteForByteWithoutBeingHeld() throws Exception {
        byte[] audio = audio(24 * 1024 * 1024);
        byte[] body = multipart(audio, "openai/whisper-large-v3", false);
        // the upstream gets the catalog's name for the model, and nothing else changed
        byte[] expected = multipart(audio, "whisper-large-v3", false);
        AccountBalance before = balance();

        long baseline = pooledMemory();
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                peak.accumulateAndGet(pooledMemory(), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        HttpResponse<String> response;
        try {
            response = http.send(upload(HttpRequest.BodyPublishers.ofByteArray(body)), HttpResponse.BodyHandlers.ofString());
        } finally {
            sampling.set(false);
            sampler.join();
        }

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode json = JSON.readTree(response.body());
        assertThat(json.get("text").asText()).isEqualTo("hello world");
        assertThat(json.has("x_metrics")).isTrue();
        assertThat(receivedBytes.get()).isEqualTo(expected.length);
        assertThat(receivedDigest.get()).isEqualTo(sha256(expected));
        Headers headers = receivedHeaders.get();
        assertThat(headers.getFirst("Content-Length")).isEqualTo(Integer.toString(expected.length));
        assertThat(headers.getFirst("Content-Type")).isEqualTo("multipart/form-data; boundary=" + BOUNDARY);
        assertThat(headers.containsKey("Authorization")).isFalse();
        // the pooled buffers in use never came near the upload's size: it went to a file, then by sendfile
        assertThat(peak.get() - baseline).as("pooled memory above the baseline during a 24 MiB upload")
                .isLessThan(12L * 1024 * 1024);
        // billed by the reported duration: 12.25 s → 123 tokens
        assertThat(balance().spentMicros() - before.spentMicros())
                .isEqualTo(PRICE.costMicros(AudioMetering.tokensOfSeconds(12.25), 0));
        assertThat(balance().reservedMicros()).isZero();
    }

    @Test
    void aChunkedUploadWithItsModelFirstIsRelayedChunkedAndBilledByItsSizeWithoutUsage() throws Exception {
        reply.set("{\"text\":\"no usage here\"}");
        byte[] audio = audio(3 * 1024 * 1024 + 17);
        byte[] body = multipart(audio, "whisper-large-v3", true);
        AccountBalance before = balance();

        HttpResponse<String> response = http.send(upload(HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(body))), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(receivedHeaders.get().getFirst("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
        assertThat(receivedDigest.get()).isEqualTo(sha256(body));
        assertThat(balance().spentMicros() - before.spentMicros())
                .isEqualTo(PRICE.costMicros(AudioMetering.estimatedTokens(body.length), 0));
    }

    @Test
    void aClientThatExpects100ContinueGetsItAndThenItsAnswer() throws Exception {
        byte[] body = multipart(audio(2 * 1024 * 1024), "whisper-large-v3", false);
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nExpect: 100-continue"
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] interim = in.readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length());
            assertThat(new String(interim, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
            out.write(body);
            out.flush();
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").contains("hello world");
        }
        assertThat(receivedDigest.get()).isEqualTo(sha256(body));
    }

    @Test
    void anUploadOverTheLimitWithContentLengthIsRefusedAtOnce() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY
                    + "\r\nContent-Length: " + (LIMIT + 1) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // answered without a byte of the body
            String response = readResponse(socket.getInputStream());
            assertThat(response).startsWith("HTTP/1.1 413 ").contains("\"code\":\"request_entity_too_large\"")
                    .containsIgnoringCase("connection: close");
        }
        assertThat(requests.get()).isZero();
    }

    @Test
    void aChunkedUploadIsRefusedAsSoonAsItCrossesTheLimitAndNothingIsBilled() throws Exception {
        AccountBalance before = balance();
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] start = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-large-v3\r\n--"
                    + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                    + "Content-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            writeChunk(out, start);
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return readResponse(socket.getInputStream());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] piece = new byte[64 * 1024];
            long sent = start.length;
            try {
                // 25 MiB + 1 byte in all, then nothing more
                while (sent <= LIMIT) {
                    int n = (int) Math.min(piece.length, LIMIT + 1 - sent);
                    writeChunk(out, n == piece.length ? piece : java.util.Arrays.copyOf(piece, n));
                    sent += n;
                }
                out.flush();
            } catch (IOException closedUnderUs) {
                // the gateway may close once it has answered; the answer was sent first
            }
            String response = answer.get(20, TimeUnit.SECONDS);
            assertThat(response).startsWith("HTTP/1.1 413 ").contains("\"code\":\"request_entity_too_large\"");
        }
        // the worker got a request cut short, and no usage: nothing is billed, nothing stays reserved
        assertThat(balance().spentMicros()).isEqualTo(before.spentMicros());
        assertThat(balance().reservedMicros()).isZero();
        assertGatewayStillServes();
    }

    @Test
    void badUploadsGetClearErrorsAndReachNoWorker() throws Exception {
        byte[] audio = audio(1000);
        assertError(upload(HttpRequest.BodyPublishers.ofByteArray(multipart(audio, null, false))), 400,
                "invalid_request", "Missing required parameter: 'model'");
        assertError(upload(HttpRequest.BodyPublishers.ofByteArray(multipart(audio, "gpt-oss-120b", false))), 400,
                "model_not_found", "gpt-oss-120b");
        assertError(HttpRequest.newBuilder(uri()).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(), 400,
                "invalid_request", "multipart/form-data");
        byte[] broken = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")
                .getBytes(StandardCharsets.US_ASCII);
        assertError(upload(HttpRequest.BodyPublishers.ofByteArray(broken)), 400, "invalid_request", "multipart");
        assertError(HttpRequest.newBuilder(uri()).header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(audio, "whisper-large-v3", false))).build(), 401,
                "invalid_api_key", "Invalid API key");
        assertThat(requests.get()).isZero();
        assertGatewayStillServes();
    }

    @Test
    void anUploadPipelinedBehindAnotherRequestIsAnsweredInTurn() throws Exception {
        byte[] form = multipart(audio(300_000), "whisper-large-v3", false);
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            // two uploads written together: the second arrives while the first is relayed, and waits its
            // turn with reading paused; it must read on to its model field once its turn comes
            String head = "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: " + form.length
                    + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(form);
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(form);
            out.flush();
            InputStream in = socket.getInputStream();
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").contains("hello world");
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").contains("hello world");
        }
        assertThat(receivedDigest.get()).isEqualTo(sha256(form));
        assertThat(requests.get()).isEqualTo(2);
    }

    @Test
    void aSecondModelFieldFailsTheUploadAndNothingIsBilled() throws Exception {
        // admitted and priced as the first, but a worker may read the last: refused, as repeated JSON fields are
        byte[] audio = audio(200_000);
        byte[] twice;
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-large-v3\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(multipart(audio, "openai/whisper-large-v3", false));
            twice = out.toByteArray();
        }
        AccountBalance before = balance();
        assertError(upload(HttpRequest.BodyPublishers.ofByteArray(twice)), 400, "invalid_request", "'model' is repeated");
        assertThat(balance().spentMicros()).isEqualTo(before.spentMicros());
        assertThat(balance().reservedMicros()).isZero();
        assertGatewayStillServes();
    }

    private static void assertGatewayStillServes() throws Exception {
        HttpResponse<String> ok = http.send(upload(HttpRequest.BodyPublishers.ofByteArray(
                multipart(audio(5000), "whisper-large-v3", false))), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    private static void assertError(HttpRequest request, int status, String code, String message) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).contains(message);
    }

    private static HttpRequest upload(HttpRequest.BodyPublisher body) {
        return HttpRequest.newBuilder(uri()).header("Authorization", "Bearer " + key)
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .timeout(Duration.ofSeconds(60)).POST(body).build();
    }

    private static URI uri() {
        return URI.create(gateway.baseUrl() + "/audio/transcriptions");
    }

    /** A form with a file part, then (or first, when {@code modelFirst}) the model part; none when {@code model} is null. */
    private static byte[] multipart(byte[] audio, String model, boolean modelFirst) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(audio.length + 1024);
        byte[] modelPart = model == null ? new byte[0] : ("--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        if (modelFirst) {
            out.write(modelPart);
        }
        out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(audio);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        if (!modelFirst) {
            out.write(modelPart);
        }
        out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\njson\r\n--"
                + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Bytes that look like audio to a multipart parser: anything, including pieces of the boundary. */
    private static byte[] audio(int size) {
        byte[] audio = new byte[size];
        new Random(size).nextBytes(audio);
        byte[] near = ("\r\n--" + BOUNDARY.substring(0, BOUNDARY.length() - 1)).getBytes(StandardCharsets.US_ASCII);
        for (int at = 1000; at + near.length < size; at += 100_003) {
            System.arraycopy(near, 0, audio, at, near.length);
        }
        return audio;
    }

    private static void writeChunk(OutputStream out, byte[] data) throws IOException {
        out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** The head and the Content-Length body of one response. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            String text = head.toString(StandardCharsets.US_ASCII);
            if (text.endsWith("\r\n\r\n")) {
                int at = text.toLowerCase().indexOf("content-length:");
                int length = Integer.parseInt(text.substring(at + 15, text.indexOf("\r\n", at)).trim());
                return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
            }
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static long pooledMemory() {
        return PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() + PooledByteBufAllocator.DEFAULT.metric().usedHeapMemory();
    }

    private static AccountBalance balance() {
        return ledger.balance("acct").toCompletableFuture().join();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
