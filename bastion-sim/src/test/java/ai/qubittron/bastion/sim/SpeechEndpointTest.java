package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/audio/speech} over real sockets: a real WAV, streamed in chunks, its length, errors, faults and pacing. */
class SpeechEndpointTest {

    private static final String MODEL = "Kokoro-82M";
    private static final SimConfig FAST = SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(0)
            .transcriptionMicrosPerAudioSecond(0).speechMicrosPerAudioSecond(0).build();

    private static SimulatedWorker worker;
    private static int port;

    @BeforeAll
    static void start() {
        worker = SimulatedWorker.builder().models("whisper-large-v3", MODEL).config(FAST).build().start();
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

    private static String body(String input, String extra) {
        return "{\"model\":\"" + MODEL + "\",\"input\":\"" + input + "\",\"voice\":\"af_heart\"" + extra + "}";
    }

    private static HttpResponse<byte[]> speak(String input, String extra) {
        return Audio.speak(port, body(input, extra));
    }

    @Test
    void speechIsAStreamedPcmWavOf60MsPerCharacter() {
        String input = "Hello from the simulator.";
        HttpResponse<byte[]> r = speak(input, "");

        assertThat(r.statusCode()).as(Audio.text(r)).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("audio/wav");
        assertThat(r.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(r.headers().firstValue("content-length")).isEmpty();
        Audio.WavFile wav = Audio.WavFile.parse(r.body());
        assertThat(wav.format()).isEqualTo(1);
        assertThat(wav.channels()).isEqualTo(1);
        assertThat(wav.sampleRate()).isEqualTo(24_000);
        assertThat(wav.byteRate()).isEqualTo(48_000);
        assertThat(wav.blockAlign()).isEqualTo(2);
        assertThat(wav.bitsPerSample()).isEqualTo(16);
        double seconds = input.length() * 0.060;
        assertThat(wav.dataBytes()).isEqualTo((int) Math.round(24_000 * 2 * seconds)).isEqualTo(72_000);
        // a quiet tone, not silence; the same for the same input
        assertThat(wav.samples()).isNotEqualTo(new byte[wav.dataBytes()]);
        assertThat(speak(input, "").body()).isEqualTo(r.body());
    }

    @Test
    void theLengthGrowsWithTheInputInCodePointsFrom200Ms() {
        assertThat(Audio.WavFile.parse(speak("Hi", "").body()).dataBytes()).isEqualTo(24_000 * 2 / 5);
        assertThat(Audio.WavFile.parse(speak("a".repeat(50), "").body()).dataBytes()).isEqualTo(24_000 * 2 * 3);
        assertThat(Audio.WavFile.parse(speak("a".repeat(51), "").body()).dataBytes()).isEqualTo(24_000 * 2 * 51 * 60 / 1000);
        // 7 code points, one of them two UTF-16 units
        String input = "h\u00e9llo \uD83D\uDC4B";
        assertThat(Audio.WavFile.parse(speak(input, "").body()).dataBytes()).isEqualTo(7 * 60 * 48)
                .isEqualTo((int) SimText.speechSamples(input) * 2);
    }

    @Test
    void pcmIsTheBareSamples() {
        HttpResponse<byte[]> pcm = speak("b".repeat(10), ",\"response_format\":\"pcm\",\"speed\":1.5");
        HttpResponse<byte[]> wav = speak("b".repeat(10), ",\"response_format\":\"wav\"");

        assertThat(pcm.statusCode()).isEqualTo(200);
        assertThat(pcm.headers().firstValue("content-type")).hasValue("audio/pcm");
        assertThat(pcm.body()).hasSize(600 * 48).isEqualTo(Arrays.copyOfRange(wav.body(), 44, wav.body().length));
    }

    @Test
    void theAudioComesIn250MsChunks() {
        RawHttp.Response r = RawHttp.post(port, "/v1/audio/speech", body("c".repeat(51), ""));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.complete()).isTrue();
        // 3.06 s: twelve chunks of 250 ms and one of 60 ms
        assertThat(r.chunks()).hasSize(13);
    }

    @Test
    void chunksArePacedByTheSpeechSpeed() {
        // 100 ms to synthesise an audio second: 2 s of audio in 8 chunks over about 200 ms
        worker.reconfigure(FAST.toBuilder().speechMicrosPerAudioSecond(100_000).build());
        long start = System.nanoTime();
        RawHttp.Response r = RawHttp.post(port, "/v1/audio/speech", body("d".repeat(34), ""));

        assertThat(r.chunks()).hasSize(9);
        List<RawHttp.Chunk> chunks = r.chunks();
        assertThat((chunks.get(0).nanos() - start) / 1_000_000).isGreaterThanOrEqualTo(25);
        assertThat((chunks.get(chunks.size() - 1).nanos() - chunks.get(0).nanos()) / 1_000_000).isGreaterThanOrEqualTo(150);
    }

    @Test
    void otherFormatsAndBadBodiesAre400() {
        for (String format : List.of("mp3", "opus", "aac", "flac")) {
            assertInvalid(speak("Hi", ",\"response_format\":\"" + format + "\""), "only wav and pcm");
        }
        assertInvalid(Audio.speak(port, "{\"model\":\"" + MODEL + "\",\"voice\":\"af_heart\"}"), "'input' is a required property");
        assertInvalid(speak("", ""), "'input' must not be empty");
        assertInvalid(Audio.speak(port, "{\"model\":\"" + MODEL + "\",\"input\":[\"a\"]}"), "'input' must be a string");
        assertInvalid(speak("e".repeat(4_097), ""), "at most 4096");
        assertInvalid(Audio.speak(port, "{\"input\":\"Hi\"}"), "'model' is a required property");
        assertInvalid(speak("Hi", ",\"speed\":9"), "'speed'");
        assertInvalid(speak("Hi", ",\"stream_format\":\"sse\""), "raw audio only");
        assertInvalid(speak("Hi", ",\"voice\":3"), "'voice'");
        assertInvalid(Audio.speak(port, "{\"model\":\"" + MODEL + "\",\"input\":"), "Invalid JSON");
        assertThat(speak("Hi", ",\"voice\":null,\"instructions\":\"cheerful\",\"stream_format\":\"audio\"").statusCode())
                .isEqualTo(200);

        HttpResponse<byte[]> unknown = Audio.speak(port, "{\"model\":\"nope\",\"input\":\"Hi\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(RawHttp.get(port, "/v1/audio/speech").status()).isEqualTo(405);
    }

    private static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return RawHttp.JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertInvalid(HttpResponse<byte[]> response, String message) {
        assertThat(response.statusCode()).as(Audio.text(response)).isEqualTo(400);
        JsonNode error = json(response).get("error");
        assertThat(error.get("message").asText()).contains(message);
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("invalid_request");
    }

    @Test
    void injectedFaultsApply() {
        SimStats before = worker.stats();
        worker.faults(SimFaults.builder().errorRate(1.0).build());
        assertThat(speak("Hi", "").statusCode()).isEqualTo(500);

        worker.faults(SimFaults.builder().closeAfterChunks(2).build());
        RawHttp.Response cut = RawHttp.post(port, "/v1/audio/speech", body("f".repeat(50), ""));
        assertThat(cut.status()).isEqualTo(200);
        assertThat(cut.complete()).isFalse();
        assertThat(cut.chunks()).hasSize(2);

        worker.faults(SimFaults.builder().closeAfterChunks(0).build());
        try (RawHttp http = RawHttp.connect(port)) {
            http.send("POST", "/v1/audio/speech", body("Hi", ""));
            assertThat(http.closedByServer()).isTrue();
        }
        assertThat(worker.stats().errorsInjected() - before.errorsInjected()).isEqualTo(3);
        assertThat(worker.stats().requestsCancelled()).isEqualTo(before.requestsCancelled());
    }

    @Test
    void speechCountsInTheStatsAndAClientThatLeavesCancelsIt() {
        SimStats before = worker.stats();
        speak("Hi", "");
        assertThat(worker.stats().requestsCompleted() - before.requestsCompleted()).isEqualTo(1);

        worker.reconfigure(FAST.toBuilder().speechMicrosPerAudioSecond(250_000).build()); // real time
        try (RawHttp http = RawHttp.connect(port)) {
            http.send("POST", "/v1/audio/speech", body("g".repeat(1_000), ""));
            assertThat(http.readHead().status()).isEqualTo(200);
            assertThat(http.readChunk()).isNotNull();
        }
        Await.until("the stream is cancelled", () -> worker.stats().requestsCancelled() == before.requestsCancelled() + 1,
                worker::stats);
        assertThat(worker.stats().requestsReceived() - before.requestsReceived()).isEqualTo(2);
        assertThat(worker.stats().requestsCompleted() - before.requestsCompleted()).isEqualTo(1);
    }
}
