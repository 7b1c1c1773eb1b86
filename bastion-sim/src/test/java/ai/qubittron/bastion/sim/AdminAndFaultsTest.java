package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runtime reconfiguration, fault injection, metrics and refusing connections. */
class AdminAndFaultsTest {

    private static final SimConfig FAST = SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0)
            .interTokenMillis(0).build();

    private final List<SimulatedWorker> workers = new ArrayList<>();

    private SimulatedWorker start(long seed, String... models) {
        SimulatedWorker w = SimulatedWorker.builder().models(models).config(FAST).seed(seed).build().start();
        workers.add(w);
        return w;
    }

    @AfterEach
    void stop() {
        workers.forEach(SimulatedWorker::close);
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5"
                + ",\"stream\":" + stream + "}";
    }

    @Test
    void adminConfigAppliesAPartialUpdateAndAnswersTheWholeConfig() {
        SimulatedWorker w = start(1L, "m");
        RawHttp.Response r = RawHttp.post(w.port(), "/admin/config",
                "{\"inter_token_millis\":3,\"max_running\":2,\"slowdown_per_running\":0.5}");

        assertThat(r.status()).isEqualTo(200);
        JsonNode c = r.json();
        assertThat(c.get("inter_token_millis").asInt()).isEqualTo(3);
        assertThat(c.get("max_running").asInt()).isEqualTo(2);
        assertThat(c.get("slowdown_per_running").asDouble()).isEqualTo(0.5);
        assertThat(c.get("overhead_millis").asInt()).isZero();
        assertThat(c.get("default_max_tokens").asInt()).isEqualTo(SimConfig.DEFAULT_DEFAULT_MAX_TOKENS);
        assertThat(c.get("kv_cache_tokens").asInt()).isEqualTo(SimConfig.DEFAULT_KV_CACHE_TOKENS);
        assertThat(c.has("prefill_micros_per_token")).isTrue();
        assertThat(c.get("transcription_micros_per_audio_second").asInt())
                .isEqualTo(SimConfig.DEFAULT_TRANSCRIPTION_MICROS_PER_AUDIO_SECOND);
        assertThat(c.get("speech_micros_per_audio_second").asInt()).isEqualTo(SimConfig.DEFAULT_SPEECH_MICROS_PER_AUDIO_SECOND);
        assertThat(w.config()).isEqualTo(FAST.toBuilder().interTokenMillis(3).maxRunning(2).slowdownPerRunning(0.5).build());
        assertThat(RawHttp.get(w.port(), "/admin/config").json()).isEqualTo(c);
    }

    @Test
    void adminConfigSetsTheAudioSpeeds() {
        SimulatedWorker w = start(1L, "m");
        JsonNode c = RawHttp.post(w.port(), "/admin/config",
                "{\"transcription_micros_per_audio_second\":7,\"speech_micros_per_audio_second\":250000}").json();

        assertThat(c.get("transcription_micros_per_audio_second").asInt()).isEqualTo(7);
        assertThat(c.get("speech_micros_per_audio_second").asInt()).isEqualTo(250_000);
        assertThat(w.config()).isEqualTo(FAST.toBuilder().transcriptionMicrosPerAudioSecond(7)
                .speechMicrosPerAudioSecond(250_000).build());
        assertThat(RawHttp.post(w.port(), "/admin/config", "{\"speech_micros_per_audio_second\":-1}").status())
                .isEqualTo(400);
    }

    @Test
    void adminConfigRejectsBadValuesAndUnknownFieldsWith400() {
        SimulatedWorker w = start(1L, "m");
        RawHttp.Response bad = RawHttp.post(w.port(), "/admin/config", "{\"max_running\":0}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().at("/error/message").asText()).contains("maxRunning").contains("0");
        assertThat(RawHttp.post(w.port(), "/admin/config", "{\"max_runing\":3}").status()).isEqualTo(400);
        assertThat(RawHttp.post(w.port(), "/admin/config", "{\"max_running\":1.5}").status()).isEqualTo(400);
        assertThat(RawHttp.post(w.port(), "/admin/config", "nope").status()).isEqualTo(400);
        assertThat(w.config()).isEqualTo(FAST);
    }

    @Test
    void errorRateOneAnswersEveryRequest500UntilReset() {
        SimulatedWorker w = start(1L, "m");
        RawHttp.Response set = RawHttp.post(w.port(), "/admin/faults", "{\"error_rate\":1.0}");
        assertThat(set.json().get("error_rate").asDouble()).isEqualTo(1.0);
        assertThat(set.json().get("close_after_chunks").asInt()).isEqualTo(-1);

        RawHttp.Response failed = RawHttp.post(w.port(), "/v1/chat/completions", chat("m", false));
        assertThat(failed.status()).isEqualTo(500);
        assertThat(failed.json().get("error").get("message").asText()).isEqualTo("simulated failure");
        assertThat(failed.json().at("/error/type").asText()).isEqualTo("api_error");
        assertThat(failed.json().at("/error/code").asText()).isEqualTo("internal_error");
        assertThat(RawHttp.post(w.port(), "/v1/chat/completions", chat("m", true)).status()).isEqualTo(500);
        assertThat(w.stats().errorsInjected()).isEqualTo(2);

        w.faults(SimFaults.NONE);
        assertThat(RawHttp.post(w.port(), "/v1/chat/completions", chat("m", false)).status()).isEqualTo(200);
        assertThat(RawHttp.post(w.port(), "/admin/faults", "{\"error_rate\":2}").status()).isEqualTo(400);
    }

    @Test
    void aPartialErrorRateFailsTheSameRequestsForTheSameSeed() {
        List<Integer> first = statuses(start(99L, "m"));
        List<Integer> second = statuses(start(99L, "m"));

        assertThat(first).isEqualTo(second);
        assertThat(first).contains(200, 500);
    }

    private static List<Integer> statuses(SimulatedWorker w) {
        w.faults(SimFaults.builder().errorRate(0.5).build());
        List<Integer> statuses = new ArrayList<>();
        try (RawHttp http = RawHttp.connect(w.port())) {
            for (int i = 0; i < 16; i++) {
                http.send("POST", "/v1/chat/completions", chat("m", false));
                statuses.add(http.readResponse().status());
            }
        }
        return statuses;
    }

    @Test
    void closeAfterChunksCutsAStreamAfterKEvents() {
        SimulatedWorker w = start(1L, "m");
        RawHttp.post(w.port(), "/admin/faults", "{\"close_after_chunks\":2}");

        RawHttp.Response r = RawHttp.post(w.port(), "/v1/chat/completions", chat("m", true));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.complete()).isFalse();
        assertThat(r.events()).hasSize(2);
        assertThat(r.body()).doesNotContain("[DONE]");
        Await.until("the slot is free", () -> w.stats().running() == 0, w::stats);
        assertThat(w.stats().errorsInjected()).isEqualTo(1);
        assertThat(w.stats().requestsCancelled()).isZero();
    }

    @Test
    void closeAfterChunksClosesANonStreamedRequestBeforeAnswering() {
        SimulatedWorker w = start(1L, "m");
        w.faults(SimFaults.builder().closeAfterChunks(2).build());
        try (RawHttp http = RawHttp.connect(w.port())) {
            http.send("POST", "/v1/chat/completions", chat("m", false));
            assertThat(http.closedByServer()).isTrue();
        }
        assertThat(w.stats().errorsInjected()).isEqualTo(1);
    }

    @Test
    void metricsUseVllmNamesWithAModelLabel() {
        SimulatedWorker w = start(1L, "a", "b");
        RawHttp.post(w.port(), "/v1/chat/completions", chat("a", false));
        RawHttp.post(w.port(), "/v1/chat/completions", chat("a", true));

        RawHttp.Response r = RawHttp.get(w.port(), "/metrics");
        assertThat(r.headers().get("content-type")).startsWith("text/plain");
        String metrics = r.body();
        for (String name : List.of("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc")) {
            assertThat(metrics).contains("# HELP " + name + " ", "# TYPE " + name + " gauge",
                    name + "{model_name=\"a\"} 0.0", name + "{model_name=\"b\"} 0.0");
        }
        assertThat(metrics).contains("# TYPE vllm:request_success_total counter",
                "vllm:request_success_total{model_name=\"a\"} 2.0", "vllm:request_success_total{model_name=\"b\"} 0.0",
                "vllm:generation_tokens_total{model_name=\"a\"} 10.0");
    }

    @Test
    void refusingConnectionsClosesThePortAndOpenConnectionsUntilReopened() {
        SimulatedWorker w = start(1L, "m");
        int port = w.port();
        try (RawHttp open = RawHttp.connect(port)) {
            open.send("GET", "/health", null);
            assertThat(open.readResponse().status()).isEqualTo(200);

            w.refuseConnections(true);

            assertThat(w.refusingConnections()).isTrue();
            assertThat(open.closedByServer()).isTrue();
            assertThatThrownBy(() -> RawHttp.connect(port)).isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(ConnectException.class);
        }

        w.refuseConnections(false);

        assertThat(w.port()).isEqualTo(port);
        assertThat(RawHttp.post(port, "/v1/chat/completions", chat("m", false)).status()).isEqualTo(200);
    }

    @Test
    void closeIsIdempotent() {
        SimulatedWorker w = start(1L, "m");
        w.close();
        w.close();
        assertThatThrownBy(w::start).isInstanceOf(IllegalStateException.class);
    }
}
