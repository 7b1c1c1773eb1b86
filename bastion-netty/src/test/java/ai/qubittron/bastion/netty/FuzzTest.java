package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimits;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Thousands of mutated requests, seeded so that a failure can be replayed: truncated and corrupted JSON,
 * wrong types, huge and negative numbers, deep nesting, bad UTF-8, duplicate names, bogus headers, other
 * methods and paths, and raw framing errors. Every answer must be a 200 (a mutation may leave a valid
 * request) or a 4xx with an OpenAI error body — never a 5xx —, every buffer released (the leak detector
 * runs at PARANOID), every scheduler slot returned (the extension checks), and the gateway still serving.
 */
class FuzzTest {

    private static final long SEED = 20261203L;
    private static final int MUTATIONS = 3000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1,
                    SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(1).interTokenMillis(0).defaultMaxTokens(16).build())
            .configure(b -> {
                InMemoryLedger ledger = new InMemoryLedger();
                ledger.open("acct_test", 1_000_000_000_000L);
                TierTable tiers = new TierTable();
                // large enough for every request here, small enough that a huge max_tokens is refused at once
                tiers.set(ApiPrincipal.DEFAULT_TIER, new RateLimits(1_000_000, 2_000_000));
                b.rateLimiter(new InMemoryRateLimiter()).ledger(ledger).tiers(tiers).defaultMaxOutputTokens(16)
                        .maxRequestBytes(64 * 1024);
            });

    private static final String[] SEEDS = {
        "{\"model\":\"gpt-oss-120b\",\"max_tokens\":3,\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"héllo 🐉\"}],\"temperature\":0.5,\"stream\":false}",
        "{\"model\":\"gpt-oss-120b\",\"max_tokens\":3,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:x\"}}]}]}",
        "{\"model\":\"openai/gpt-oss-120b\",\"prompt\":\"Say hi\",\"max_tokens\":2,\"n\":1}",
        "{\"model\":\"gpt-oss-120b\",\"input\":\"Reply with: ok\",\"max_output_tokens\":3,\"store\":false}",
    };
    private static final String[] PATHS = {"/v1/chat/completions", "/v1/chat/completions", "/v1/completions", "/v1/responses"};
    /** Values put in place of a field's value: wrong types, extremes, broken tokens. */
    private static final String[] VALUES = {
        "null", "true", "\"\"", "\"x\"", "0", "-1", "1e400", "99999999", "99999999999999999999", "-0.0", "1.5", "[]",
        "{}", "[[[[[[[[[[]]]]]]]]]]", "\"\\ud800\"", "\"\\u00\"", "\"\\x\"", "{\"a\":1,\"a\":2}", "tru", "nul", "01",
        "\"" + "x".repeat(70_000) + "\"", "[" + "[".repeat(2000) + "]".repeat(2000) + "]",
    };
    private static final String[] FIELDS = {"model", "messages", "prompt", "input", "max_tokens", "max_completion_tokens",
        "max_output_tokens", "stream", "stream_options", "n", "best_of", "store", "temperature"};
    private static final String[] METHODS = {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};

    @Test
    void mutatedRequestsGetA200OrAnOpenAiShaped4xxAndNothingLeaks() throws Exception {
        Random random = new Random(SEED);
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < MUTATIONS; i++) {
            int seed = random.nextInt(SEEDS.length);
            String path = PATHS[seed];
            byte[] body = mutate(SEEDS[seed], random);
            HttpRequest.Builder request = HttpRequest.newBuilder(gateway.uri(path));
            String method = "POST";
            String what;
            switch (random.nextInt(10)) {
                case 0 -> {
                    what = "no or a bad Authorization";
                    String[] auth = {null, "Bearer", "Bearer ", "Basic eDp5", "Bearer qbt_nope", "bearer " + gateway.key(),
                        "Bearer " + gateway.key() + "x", "Bearer  " + gateway.key()};
                    String value = auth[random.nextInt(auth.length)];
                    if (value != null) {
                        request.header("Authorization", value);
                    }
                }
                case 1 -> {
                    what = "another method";
                    method = METHODS[random.nextInt(METHODS.length)];
                    request.header("Authorization", "Bearer " + gateway.key());
                }
                case 2 -> {
                    what = "another path";
                    String[] paths = {"/v1/chat", "/v1/chat/completions/", "/v2/chat/completions", "/", "/v1/models/../x",
                        "/v1/chat/completions?x=%00", "/v1/models/nope", "/v1/" + "a".repeat(9000)};
                    request.uri(gateway.uri(paths[random.nextInt(paths.length)]));
                    request.header("Authorization", "Bearer " + gateway.key());
                }
                default -> {
                    what = "a mutated body";
                    request.header("Authorization", "Bearer " + gateway.key());
                    String[] types = {"application/json", "text/plain", "application/json; charset=latin1", "x/\u00e9"};
                    request.header("Content-Type", types[random.nextInt(types.length)].replace('\u00e9', 'e'));
                }
            }
            request.method(method, method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")
                    ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            String context = "mutation " + i + " (" + what + ", " + method + " " + path + "): "
                    + new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
            HttpResponse<byte[]> response;
            try {
                response = gateway.http().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new AssertionError("no answer to " + context, e);
            }
            check(response.statusCode(), response.headers().firstValue("content-type").orElse(""), response.body(),
                    method.equals("HEAD"), context);
            statuses.merge(response.statusCode(), 1, Integer::sum);
        }
        // the mutations reach every kind of answer, and valid requests still pass
        assertThat(statuses).containsKeys(200, 400, 401, 404, 405, 413);
        assertThat(statuses.keySet()).allMatch(s -> s == 200 || (s >= 400 && s < 500));
        HttpResponse<String> after = gateway.send(gateway.post(PATHS[0], SEEDS[0]).build());
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    }

    @Test
    void mutatedUploadsAndSpeechRequestsGetA200OrAnOpenAiShaped4xx() throws Exception {
        Random random = new Random(SEED + 1);
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < MUTATIONS / 6; i++) {
            HttpRequest.Builder request;
            byte[] body;
            String what;
            if (random.nextInt(4) == 0) {
                body = mutate(SPEECH, random);
                what = "speech";
                request = HttpRequest.newBuilder(gateway.uri("/api/v1/tts/text_to_audio"))
                        .header("Content-Type", "application/json");
            } else {
                body = mutateUpload(random);
                what = "upload";
                String[] types = {"multipart/form-data; boundary=" + BOUNDARY, "multipart/form-data; boundary=\"" + BOUNDARY
                        + "\"", "multipart/form-data", "multipart/form-data; boundary=other", "application/json"};
                request = HttpRequest.newBuilder(gateway.uri("/v1/audio/transcriptions"))
                        .header("Content-Type", types[random.nextInt(10) < 7 ? 0 : random.nextInt(types.length)]);
            }
            request.header("Authorization", "Bearer " + gateway.key());
            byte[] sent = body;
            // half with a Content-Length, half chunked
            request.POST(random.nextBoolean() ? HttpRequest.BodyPublishers.ofByteArray(body)
                    : HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(sent)));
            String context = what + " mutation " + i + ": " + new String(body, 0, Math.min(body.length, 300),
                    StandardCharsets.ISO_8859_1);
            HttpResponse<byte[]> response;
            try {
                response = gateway.http().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new AssertionError("no answer to " + context, e);
            }
            check(response.statusCode(), response.headers().firstValue("content-type").orElse(""), response.body(), false,
                    context);
            statuses.merge(response.statusCode(), 1, Integer::sum);
        }
        assertThat(statuses).containsKeys(200, 400);
        HttpResponse<String> after = gateway.send(gateway.post(PATHS[0], SEEDS[0]).build());
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    }

    private static final String BOUNDARY = "fuzz-7MA4YWxkTrZu0gW";
    private static final String SPEECH = "{\"model\":\"Kokoro-82M\",\"input\":\"Hello there.\",\"voice\":\"af_heart\","
            + "\"response_format\":\"wav\"}";

    /** A transcription form (a small WAV, the model before or after it) mutated at the multipart level. */
    private static byte[] mutateUpload(Random random) {
        byte[] wav = new byte[44 + 16_000];
        System.arraycopy("RIFF".getBytes(StandardCharsets.US_ASCII), 0, wav, 0, 4);
        java.nio.ByteBuffer.wrap(wav, 4, 40).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(36 + 16_000)
                .put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(8000).putInt(16000).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(16_000);
        String[] models = {"whisper-large-v3", "openai/whisper-large-v3", "gpt-oss-120b", "nope", "", "m".repeat(400)};
        String model = random.nextInt(3) == 0 ? models[random.nextInt(models.length)] : models[0];
        String modelPart = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model + "\r\n";
        String fileHead = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n";
        String tail = "\r\n--" + BOUNDARY + "--\r\n";
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        boolean modelFirst = random.nextBoolean();
        out.writeBytes((modelFirst ? modelPart : "").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(fileHead.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(wav);
        if (!modelFirst) {
            out.writeBytes(("\r\n" + modelPart.substring(0, modelPart.length() - 2)).getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(tail.getBytes(StandardCharsets.US_ASCII));
        byte[] bytes = out.toByteArray();
        switch (random.nextInt(7)) {
            case 0 -> { // truncated
                return java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
            }
            case 1 -> { // bytes replaced anywhere (headers, boundaries, audio)
                int flips = 1 + random.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                return bytes;
            }
            case 2 -> { // a boundary line broken
                String text = new String(bytes, StandardCharsets.ISO_8859_1);
                return text.replaceFirst("--" + BOUNDARY, random.nextBoolean() ? "--" + BOUNDARY + "x" : "-" + BOUNDARY)
                        .getBytes(StandardCharsets.ISO_8859_1);
            }
            case 3 -> { // a part without headers, or with huge ones
                String text = new String(bytes, StandardCharsets.ISO_8859_1);
                return text.replaceFirst("Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"",
                        random.nextBoolean() ? "" : "X-Junk: " + "j".repeat(9000)).getBytes(StandardCharsets.ISO_8859_1);
            }
            case 4 -> { // no file part
                return (modelPart + "--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII);
            }
            case 5 -> { // empty
                return new byte[0];
            }
            default -> {
                return bytes;
            }
        }
    }

    @Test
    void brokenFramingIsA4xxOrAClose() throws Exception {
        String key = gateway.key();
        String body = SEEDS[0];
        List<String> raw = new ArrayList<>(List.of(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + key
                        + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nContent-Length: -5\r\n\r\n" + body,
                "POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nContent-Length: 5x\r\n\r\n" + body,
                "POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + key + "\r\nBad Header\r\n\r\n",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nX: " + "y".repeat(20_000) + "\r\n\r\n",
                "POST /v1/chat/completions?" + "q".repeat(9000) + " HTTP/1.1\r\nHost: g\r\n\r\n",
                "POST /v1/chat/completions HTTP/9.9\r\nHost: g\r\n\r\n",
                "POST /v1/%ZZ HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + key + "\r\nContent-Length: 2\r\n\r\n{}",
                "\u0000\u0001\u0002 garbage\r\n\r\n",
                // an upload whose chunked framing breaks after its model field, with a worker already sent part of it
                "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + key
                        + "\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "47\r\n--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-large-v3\r\n\r\n"
                        + "zz\r\nmore\r\n0\r\n\r\n",
                "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + key
                        + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 10\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + key
                        + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"mo\r\n0\r\n\r\n"));
        for (String request : raw) {
            String response = gateway.exchange(request + "GET /v1/models HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n");
            if (response.isEmpty()) {
                // closed without an answer: only for bytes that are not HTTP at all
                assertThat(request).as("closed without an answer").startsWith("\u0000");
                continue;
            }
            int status = Integer.parseInt(response.substring(9, 12));
            assertThat(status).as(request.substring(0, Math.min(80, request.length())) + " → " + response).isBetween(400, 499);
            int bodyAt = response.indexOf("\r\n\r\n") + 4;
            int next = response.indexOf("HTTP/1.1 ", bodyAt);
            String errorBody = next < 0 ? response.substring(bodyAt) : response.substring(bodyAt, next);
            check(status, "application/json", errorBody.getBytes(StandardCharsets.UTF_8), false, request);
        }
    }

    private static void check(int status, String contentType, byte[] body, boolean head, String context) throws IOException {
        assertThat(status).as(context).satisfiesAnyOf(s -> assertThat(s).isEqualTo(200), s -> assertThat(s).isBetween(400, 499));
        if (status == 200 || head) {
            return;
        }
        assertThat(contentType).as(context).startsWith("application/json");
        JsonNode error = JSON.readTree(body).get("error");
        assertThat(error).as(context + " → " + new String(body, StandardCharsets.UTF_8)).isNotNull();
        assertThat(error.get("message").isTextual()).as(context).isTrue();
        assertThat(error.get("message").asText()).as(context).isNotBlank();
        assertThat(error.get("type").isTextual()).as(context).isTrue();
        assertThat(error.has("code")).as(context).isTrue();
    }

    /** One of several mutations of a seed body, as bytes (some are not UTF-8). */
    private static byte[] mutate(String seed, Random random) {
        byte[] bytes = seed.getBytes(StandardCharsets.UTF_8);
        switch (random.nextInt(8)) {
            case 0 -> { // truncated
                return java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
            }
            case 1 -> { // a byte replaced, possibly by one that breaks UTF-8
                byte[] out = bytes.clone();
                int flips = 1 + random.nextInt(3);
                for (int k = 0; k < flips; k++) {
                    out[random.nextInt(out.length)] = (byte) random.nextInt(256);
                }
                return out;
            }
            case 2 -> { // a field's value replaced
                String field = FIELDS[random.nextInt(FIELDS.length)];
                String value = VALUES[random.nextInt(VALUES.length)];
                String json = seed.contains("\"" + field + "\":")
                        ? seed.replaceFirst("\"" + field + "\":(\"[^\"]*\"|[^,}\\]]+|\\[[^\\]]*\\]|\\{[^}]*\\})", "\"" + field + "\":"
                                + java.util.regex.Matcher.quoteReplacement(value))
                        : seed.replaceFirst("\\{", "{\"" + field + "\":" + java.util.regex.Matcher.quoteReplacement(value) + ",");
                return json.getBytes(StandardCharsets.UTF_8);
            }
            case 3 -> { // a field removed
                String field = FIELDS[random.nextInt(FIELDS.length)];
                return seed.replaceFirst("\"" + field + "\":(\"[^\"]*\"|[^,}\\]]+),?", "").getBytes(StandardCharsets.UTF_8);
            }
            case 4 -> { // a duplicate member
                String field = FIELDS[random.nextInt(FIELDS.length)];
                return seed.replaceFirst("\\{", "{\"" + field + "\":1,\"" + field + "\":2,").getBytes(StandardCharsets.UTF_8);
            }
            case 5 -> { // invalid UTF-8 inside a string
                byte[][] bad = {{(byte) 0xc3}, {(byte) 0xc0, (byte) 0x80}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                    {(byte) 0xff}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
                int at = seed.indexOf("\"content\":\"");
                at = at < 0 ? seed.indexOf("\":\"") + 3 : at + 11;
                byte[] insert = bad[random.nextInt(bad.length)];
                byte[] prefix = seed.substring(0, at).getBytes(StandardCharsets.UTF_8);
                byte[] suffix = seed.substring(at).getBytes(StandardCharsets.UTF_8);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(prefix);
                out.writeBytes(insert);
                out.writeBytes(suffix);
                return out.toByteArray();
            }
            case 6 -> { // not an object, or trailing content
                String[] wraps = {"[" + seed + "]", seed + "x", seed + seed, "\"" + seed + "\"", " ", ""};
                return wraps[random.nextInt(wraps.length)].getBytes(StandardCharsets.UTF_8);
            }
            default -> { // a random chunk of the seed repeated or moved
                int from = random.nextInt(bytes.length);
                int to = from + random.nextInt(bytes.length - from);
                String json = seed.substring(0, Math.min(to, seed.length())) + seed.substring(Math.min(from, seed.length()));
                return json.getBytes(StandardCharsets.UTF_8);
            }
        }
    }
}
