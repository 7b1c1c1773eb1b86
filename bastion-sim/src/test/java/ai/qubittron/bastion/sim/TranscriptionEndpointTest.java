package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.sim.internal.SimPipeline;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/audio/transcriptions} over real sockets: durations, formats, limits, errors, faults and timing. */
class TranscriptionEndpointTest {

    private static final long SEED = 5L;
    private static final String MODEL = "whisper-large-v3";
    private static final SimConfig FAST = SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(0)
            .transcriptionMicrosPerAudioSecond(0).speechMicrosPerAudioSecond(0).build();

    private static SimulatedWorker worker;
    private static int port;

    @BeforeAll
    static void start() {
        worker = SimulatedWorker.builder().models(MODEL, "Kokoro-82M").config(FAST).seed(SEED).build().start();
        port = worker.port();
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    @AfterEach
    void reset() {
        worker.reconfigure(FAST);
        worker.faults(SimFaults.NONE);
    }

    private static HttpResponse<byte[]> transcribe(byte[] audio, String... fields) {
        Audio.Form form = Audio.form().file(audio).field("model", MODEL);
        for (int i = 0; i < fields.length; i += 2) {
            form.field(fields[i], fields[i + 1]);
        }
        return Audio.transcribe(port, form.bytes());
    }

    private static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return RawHttp.JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aWavIsTimedByItsHeaderAndTranscribedTheSameEachTime() {
        HttpResponse<byte[]> first = transcribe(Audio.wav16k(7_500));
        HttpResponse<byte[]> second = transcribe(Audio.wav16k(7_500));

        assertThat(first.statusCode()).as(Audio.text(first)).isEqualTo(200);
        assertThat(first.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode body = json(first);
        assertThat(body.at("/usage/type").asText()).isEqualTo("duration");
        assertThat(body.at("/usage/seconds").isIntegralNumber()).isTrue();
        assertThat(body.at("/usage/seconds").asLong()).isEqualTo(8);
        // 2.5 words an audio second, rounded up
        assertThat(body.get("text").asText()).isEqualTo(SimText.transcript(SEED, 7_500)).hasSize(
                SimText.transcript(SEED, 7_500).length());
        assertThat(body.get("text").asText().split(" ")).hasSize(19);
        assertThat(body.size()).isEqualTo(2);
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(json(transcribe(Audio.wav16k(2_000))).get("text").asText()).isEqualTo(SimText.transcript(SEED, 2_000))
                .isNotEqualTo(body.get("text").asText());
    }

    @Test
    void usageIsWholeSecondsRoundedUpAndAtLeastOne() {
        assertThat(json(transcribe(Audio.wav16k(100))).at("/usage/seconds").asLong()).isEqualTo(1);
        assertThat(json(transcribe(Audio.wav16k(3_000))).at("/usage/seconds").asLong()).isEqualTo(3);
        assertThat(json(transcribe(Audio.wav16k(3_001))).at("/usage/seconds").asLong()).isEqualTo(4);
        assertThat(json(transcribe(Audio.wav16k(0))).get("text").asText()).isEqualTo(SimText.transcript(SEED, 0))
                .doesNotContain(" ");
    }

    @Test
    void aWavWithOtherChunksAndAnotherRateIsTimedByItsFormatAndDataChunks() {
        // 44.1 kHz stereo: 176,400 bytes a second; a LIST chunk of odd size (padded) before the data
        byte[] list = Audio.ascii("LIST\u0003\u0000\u0000\u0000abc\u0000");
        byte[] canonical = Audio.wav(44_100, 2, 176_400 * 2 + 17_640);
        byte[] wav = new byte[canonical.length + list.length];
        System.arraycopy(canonical, 0, wav, 0, 36);
        System.arraycopy(list, 0, wav, 36, list.length);
        System.arraycopy(canonical, 36, wav, 36 + list.length, canonical.length - 36);

        JsonNode verbose = json(transcribe(wav, "response_format", "verbose_json"));

        assertThat(verbose.get("duration").asDouble()).isEqualTo(2.1);
        assertThat(verbose.at("/usage/seconds").asLong()).isEqualTo(3);
    }

    @Test
    void otherAudioIsTimedAt16000BytesASecond() {
        byte[] mp3 = new byte[48_000 + 1];
        new Random(1).nextBytes(mp3);
        JsonNode body = json(transcribe(mp3));
        assertThat(body.at("/usage/seconds").asLong()).isEqualTo(4);
        assertThat(body.get("text").asText()).isEqualTo(SimText.transcript(SEED, 3_001));

        // a WAV whose byte rate disagrees with its sample rate counts as unknown audio, not as hours of it
        byte[] damaged = Audio.wav16k(1_000);
        ByteBuffer.wrap(damaged).order(ByteOrder.LITTLE_ENDIAN).putInt(28, 1);
        assertThat(json(transcribe(damaged)).at("/usage/seconds").asLong()).isEqualTo((damaged.length + 15_999) / 16_000);
    }

    @Test
    void textIsThePlainTranscript() {
        HttpResponse<byte[]> r = transcribe(Audio.wav16k(1_000), "response_format", "text");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(Audio.text(r)).isEqualTo(SimText.transcript(SEED, 1_000) + "\n");
    }

    @Test
    void verboseJsonAddsTaskLanguageDurationAndOneSegment() {
        JsonNode v = json(transcribe(Audio.wav16k(3_250), "response_format", "verbose_json", "temperature", "0.2",
                "language", "en", "prompt", "a prompt"));

        String text = SimText.transcript(SEED, 3_250);
        assertThat(v.get("task").asText()).isEqualTo("transcribe");
        assertThat(v.get("language").asText()).isEqualTo("english");
        assertThat(v.get("duration").asDouble()).isEqualTo(3.25);
        assertThat(v.get("text").asText()).isEqualTo(text);
        assertThat(v.get("segments")).hasSize(1);
        JsonNode segment = v.at("/segments/0");
        assertThat(segment.get("id").asInt()).isZero();
        assertThat(segment.get("start").asDouble()).isZero();
        assertThat(segment.get("end").asDouble()).isEqualTo(3.25);
        assertThat(segment.get("text").asText()).isEqualTo(text);
        assertThat(segment.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(v.at("/usage/seconds").asLong()).isEqualTo(4);
    }

    @Test
    void srtAndVttAreOneCueSpanningTheAudio() {
        String text = SimText.transcript(SEED, 61_500);
        HttpResponse<byte[]> srt = transcribe(Audio.wav16k(61_500), "response_format", "srt");
        HttpResponse<byte[]> vtt = transcribe(Audio.wav16k(61_500), "response_format", "VTT");

        assertThat(Audio.text(srt)).isEqualTo("1\n00:00:00,000 --> 00:01:01,500\n" + text + "\n\n");
        assertThat(Audio.text(vtt)).isEqualTo("WEBVTT\n\n00:00:00.000 --> 00:01:01.500\n" + text + "\n\n");
        assertThat(srt.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    }

    @Test
    void aFilePartWithoutFilenameIsAcceptedAsTheOpenAiSdksSendIt() {
        byte[] form = Audio.form().part("file", null, Audio.wav16k(2_000)).field("model", MODEL).bytes();
        HttpResponse<byte[]> r = Audio.transcribe(port, form);
        assertThat(r.statusCode()).as(Audio.text(r)).isEqualTo(200);
        assertThat(json(r).at("/usage/seconds").asLong()).isEqualTo(2);
    }

    @Test
    void a30MbUploadIsTranscribed() {
        byte[] audio = new byte[30_000_000];
        new Random(30).nextBytes(audio);
        // parts after the file, and bytes in it that look like the boundary
        byte[] near = Audio.ascii("\r\n--" + Audio.BOUNDARY.substring(0, Audio.BOUNDARY.length() - 2));
        for (int at = 1_000; at + near.length < audio.length; at += 1_000_003) {
            System.arraycopy(near, 0, audio, at, near.length);
        }

        HttpResponse<byte[]> r = transcribe(audio, "response_format", "json");

        assertThat(r.statusCode()).as(Audio.text(r)).isEqualTo(200);
        assertThat(json(r).at("/usage/seconds").asLong()).isEqualTo(30_000_000 / 16_000);
    }

    @Test
    void uploadsUpTo64MibAreAcceptedWhileOtherBodiesKeepTheirLimit() {
        long data = 64L * 1024 * 1024 - 44;
        HttpResponse<byte[]> r = transcribe(Audio.wav16k(data / 32));
        assertThat(r.statusCode()).as(Audio.text(r)).isEqualTo(200);
        assertThat(json(r).at("/usage/seconds").asLong()).isEqualTo(SimText.usageSeconds(data / 32));

        // refused from the head alone, before any body byte is sent
        assertThat(headOnly("/v1/audio/transcriptions", SimPipeline.MAX_UPLOAD_BYTES + 1L)).startsWith("HTTP/1.1 413 ");
        assertThat(headOnly("/v1/chat/completions", SimPipeline.MAX_BODY_BYTES + 1L)).startsWith("HTTP/1.1 413 ");
        // and the limits switch back and forth on one connection
        try (RawHttp http = RawHttp.connect(port)) {
            http.write(multipartRequest(Audio.form().file(Audio.wav16k(1_000)).field("model", MODEL).bytes()));
            assertThat(http.readResponse().status()).isEqualTo(200);
            http.send("POST", "/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":1}");
            assertThat(http.readResponse().status()).isEqualTo(400);
            http.write(multipartRequest(Audio.form().file(Audio.wav16k(1_000)).field("model", MODEL).bytes()));
            assertThat(http.readResponse().status()).isEqualTo(200);
        }
    }

    private static String headOnly(String path, long contentLength) {
        try (RawHttp http = RawHttp.connect(port)) {
            http.write("POST " + path + " HTTP/1.1\r\nHost: sim\r\nContent-Type: multipart/form-data; boundary="
                    + Audio.BOUNDARY + "\r\nContent-Length: " + contentLength + "\r\n\r\n");
            RawHttp.Head head = http.readHead();
            return "HTTP/1.1 " + head.status() + " ";
        }
    }

    /** A transcription request as raw bytes, optionally followed by more requests. */
    private static byte[] multipartRequest(byte[] form, String... more) {
        byte[] head = Audio.ascii("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: sim\r\nContent-Type: multipart/form-data;"
                + " boundary=" + Audio.BOUNDARY + "\r\nContent-Length: " + form.length + "\r\n\r\n");
        byte[] tail = String.join("", more).getBytes(StandardCharsets.UTF_8);
        byte[] request = Arrays.copyOf(head, head.length + form.length + tail.length);
        System.arraycopy(form, 0, request, head.length, form.length);
        System.arraycopy(tail, 0, request, head.length + form.length, tail.length);
        return request;
    }

    @Test
    void missingOrBadPartsAre400() {
        assertInvalid(Audio.transcribe(port, Audio.form().field("model", MODEL).bytes()), "'file' is a required property");
        assertInvalid(Audio.transcribe(port, Audio.form().file(Audio.wav16k(1_000)).bytes()), "'model' is a required property");
        assertInvalid(Audio.transcribe(port, Audio.form().file(new byte[0]).field("model", MODEL).bytes()), "'file'");
        assertInvalid(transcribe(Audio.wav16k(1_000), "response_format", "mp3"), "'response_format'");
        assertInvalid(transcribe(Audio.wav16k(1_000), "stream", "true"), "does not stream");
        assertInvalid(transcribe(Audio.wav16k(1_000), "stream", "maybe"), "'stream'");
        assertInvalid(transcribe(Audio.wav16k(1_000), "temperature", "hot"), "'temperature'");
        assertInvalid(transcribe(Audio.wav16k(1_000), "temperature", "1.5"), "'temperature'");
        assertThat(transcribe(Audio.wav16k(1_000), "stream", "false").statusCode()).isEqualTo(200);

        HttpResponse<byte[]> unknown = Audio.transcribe(port, Audio.form().file(Audio.wav16k(1_000)).field("model", "nope").bytes());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(json(unknown).at("/error/message").asText()).contains("nope");
    }

    @Test
    void brokenMultipartIs400() {
        byte[] whole = Audio.form().file(Audio.wav16k(1_000)).field("model", MODEL).bytes();
        String boundary = "multipart/form-data; boundary=" + Audio.BOUNDARY;
        // cut inside the file part, and right before the final boundary
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", boundary, Arrays.copyOf(whole, whole.length / 2)),
                "Malformed multipart");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", boundary, Arrays.copyOf(whole, 100)), "multipart");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", boundary, Audio.ascii("not multipart at all")),
                "no part starts with the boundary");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", "multipart/form-data; boundary=other", whole), "boundary");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", boundary, new byte[0]), "multipart");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", boundary, Audio.ascii("--" + Audio.BOUNDARY
                + "\r\nX-No-Disposition: here\r\n\r\nabc\r\n--" + Audio.BOUNDARY + "--\r\n")), "multipart");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", "multipart/form-data", whole), "boundary");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", "application/json", Audio.ascii("{}")),
                "must be multipart/form-data");
        assertInvalid(Audio.post(port, "/v1/audio/transcriptions", null, whole), "must be multipart/form-data");

        assertThat(RawHttp.get(port, "/v1/audio/transcriptions").status()).isEqualTo(405);
        // the worker is fine afterwards
        assertThat(Audio.transcribe(port, whole).statusCode()).isEqualTo(200);
    }

    private static void assertInvalid(HttpResponse<byte[]> response, String message) {
        assertThat(response.statusCode()).as(Audio.text(response)).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode error = json(response).get("error");
        assertThat(error.get("message").asText()).contains(message);
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("invalid_request");
    }

    @Test
    void transcriptionsCountInTheStatsAndMetrics() {
        SimStats before = worker.stats();
        transcribe(Audio.wav16k(1_000));
        transcribe(Audio.wav16k(1_000), "response_format", "mp3");
        Await.until("the answer is counted", () -> worker.stats().requestsCompleted() == before.requestsCompleted() + 1,
                worker::stats);

        SimStats after = worker.stats();
        assertThat(after.requestsReceived() - before.requestsReceived()).isEqualTo(2);
        assertThat(after.running()).isZero();
        assertThat(RawHttp.get(port, "/metrics").body()).containsPattern(
                "vllm:request_success_total\\{model_name=\"" + MODEL + "\"} [1-9]");
    }

    @Test
    void injectedFaultsApply() {
        SimStats before = worker.stats();
        worker.faults(SimFaults.builder().errorRate(1.0).build());
        HttpResponse<byte[]> failed = transcribe(Audio.wav16k(1_000));
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(json(failed).at("/error/code").asText()).isEqualTo("internal_error");

        // not streamed: any close_after_chunks closes before the answer
        worker.faults(SimFaults.builder().closeAfterChunks(3).build());
        try (RawHttp http = RawHttp.connect(port)) {
            http.write(multipartRequest(Audio.form().file(Audio.wav16k(1_000)).field("model", MODEL).bytes()));
            assertThat(http.closedByServer()).isTrue();
        }
        assertThat(worker.stats().errorsInjected() - before.errorsInjected()).isEqualTo(2);
    }

    @Test
    void theAnswerTakesTheConfiguredTimePerAudioSecond() {
        worker.reconfigure(FAST.toBuilder().transcriptionMicrosPerAudioSecond(50_000).build());
        long start = System.nanoTime();
        HttpResponse<byte[]> r = transcribe(Audio.wav16k(4_000));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(tookMillis).isGreaterThanOrEqualTo(200); // 4 s at 50 ms a second
    }

    @Test
    void aClientThatLeavesCancelsItsTranscriptionAndPipelinedRequestsWait() {
        SimStats before = worker.stats();
        worker.reconfigure(FAST.toBuilder().transcriptionMicrosPerAudioSecond(250_000).build());
        try (RawHttp http = RawHttp.connect(port)) {
            http.write(multipartRequest(Audio.form().file(Audio.wav16k(60_000)).field("model", MODEL).bytes()));
            Await.until("the upload is received", () -> worker.stats().requestsReceived() == before.requestsReceived() + 1);
        }
        Await.until("the transcription is cancelled",
                () -> worker.stats().requestsCancelled() == before.requestsCancelled() + 1, worker::stats);

        worker.reconfigure(FAST.toBuilder().transcriptionMicrosPerAudioSecond(10_000).build());
        try (RawHttp http = RawHttp.connect(port)) {
            http.write(multipartRequest(Audio.form().file(Audio.wav16k(5_000)).field("model", MODEL)
                    .field("response_format", "text").bytes(), RawHttp.request("GET", "/health", null)));
            // answered in order: the health check waited behind the transcription
            assertThat(http.readResponse().body()).isEqualTo(SimText.transcript(SEED, 5_000) + "\n");
            assertThat(http.readResponse().status()).isEqualTo(200);
        }
        assertThat(worker.stats().requestsCompleted() - before.requestsCompleted()).isEqualTo(1);
    }
}
