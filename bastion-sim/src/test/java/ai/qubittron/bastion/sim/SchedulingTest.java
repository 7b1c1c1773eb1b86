package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GPU-like timing: prefill grows with the prompt, at most maxRunning sequences decode while the others
 * wait FIFO, and a client that goes away frees its slot. Lower bounds only: a loaded machine makes
 * timers late, never early.
 */
class SchedulingTest {

    private static final String MODEL = "m";
    private static final long SEED = 3L;

    private SimulatedWorker worker;

    private SimulatedWorker start(SimConfig config) {
        worker = SimulatedWorker.builder().models(List.of(MODEL)).config(config).seed(SEED).build().start();
        return worker;
    }

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    private static String chat(String content, int maxTokens, boolean stream) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + ",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream + "}";
    }

    /** A chat prompt whose natural answer has at least {@code tokens} tokens, so a test's window is wide. */
    private static String promptOfAtLeast(String prefix, int tokens) {
        for (int i = 0; ; i++) {
            if (SimText.naturalTokens(SEED, prefix + i) >= tokens) {
                return prefix + i;
            }
        }
    }

    /** Milliseconds from sending a streamed request to its first event. */
    private static long timeToFirstEventMillis(int port, String body) {
        try (RawHttp http = RawHttp.connect(port)) {
            long sent = System.nanoTime();
            http.send("POST", "/v1/chat/completions", body);
            assertThat(http.readHead().status()).isEqualTo(200);
            RawHttp.Chunk first = http.readChunk();
            return TimeUnit.NANOSECONDS.toMillis(first.nanos() - sent);
        }
    }

    @Test
    void timeToFirstTokenGrowsWithThePrompt() {
        // 500 µs per prompt token: 2,000 tokens of prompt take at least one second of prefill
        int port = start(SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(500).interTokenMillis(1).build()).port();
        String small = "hi";
        String large = "abcd".repeat(2_000);

        long smallTtft = timeToFirstEventMillis(port, chat(small, 2, true));
        long largeTtft = timeToFirstEventMillis(port, chat(large, 2, true));

        int largePromptTokens = SimText.chatPromptTokens(large);
        assertThat(largePromptTokens).isEqualTo(2_007);
        assertThat(largeTtft).isGreaterThanOrEqualTo(largePromptTokens / 2);
        assertThat(largeTtft).isGreaterThan(smallTtft + 500);
    }

    @Test
    void aNonStreamedAnswerComesWhenTheLastTokenIsProduced() {
        int port = start(SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(20).build()).port();

        long sent = System.nanoTime();
        RawHttp.Response r = RawHttp.post(port, "/v1/chat/completions", chat("x", 8, false));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().at("/usage/completion_tokens").asInt()).isEqualTo(8);
        assertThat(millis).isGreaterThanOrEqualTo(7 * 20);
    }

    @Test
    void beyondMaxRunningRequestsWaitInFifoOrder() {
        SimulatedWorker w = start(SimConfig.builder().maxRunning(1).overheadMillis(0).prefillMicrosPerToken(0)
                .interTokenMillis(20).slowdownPerRunning(0).build());
        // a decodes 40 tokens, 20 ms apart: b waits for about 800 ms
        String first = promptOfAtLeast("first", 40);
        try (RawHttp a = RawHttp.connect(w.port()); RawHttp b = RawHttp.connect(w.port())) {
            a.send("POST", "/v1/chat/completions", chat(first, 40, true));
            a.readHead();
            RawHttp.Chunk aFirst = a.readChunk();
            b.send("POST", "/v1/chat/completions", chat("second", 10, true));

            Await.until("the second request waits", () -> w.stats().waiting() == 1, w::stats);
            assertThat(w.stats().running()).isEqualTo(1);
            String metrics = RawHttp.get(w.port(), "/metrics").body();
            assertThat(metrics).contains("vllm:num_requests_running{model_name=\"m\"} 1.0");
            assertThat(metrics).contains("vllm:num_requests_waiting{model_name=\"m\"} 1.0");
            assertThat(kvCacheUsage(metrics)).isGreaterThan(0.0);

            b.readHead();
            RawHttp.Chunk bFirst = b.readChunk();
            // b could only start once a had produced its 39 remaining tokens, 20 ms apart
            assertThat(TimeUnit.NANOSECONDS.toMillis(bFirst.nanos() - aFirst.nanos())).isGreaterThanOrEqualTo(39 * 20 - 20);
            drain(a);
            drain(b);
        }
        Await.until("both completed", () -> w.stats().requestsCompleted() == 2, w::stats);
        assertThat(w.stats().running()).isZero();
        assertThat(w.stats().waiting()).isZero();
        assertThat(kvCacheUsage(RawHttp.get(w.port(), "/metrics").body())).isEqualTo(0.0);
    }

    @Test
    void aClientThatDisconnectsMidStreamIsCancelledAndFreesItsSlot() {
        SimulatedWorker w = start(SimConfig.builder().maxRunning(1).overheadMillis(0).prefillMicrosPerToken(0)
                .interTokenMillis(50).build());
        try (RawHttp a = RawHttp.connect(w.port())) {
            a.send("POST", "/v1/chat/completions", chat(promptOfAtLeast("bye", 20), 40, true));
            a.readHead();
            a.readChunk();
            a.readChunk();
            assertThat(w.stats().running()).isEqualTo(1);
        }
        Await.until("the sequence is cancelled", () -> w.stats().requestsCancelled() == 1 && w.stats().running() == 0,
                w::stats);
        assertThat(w.stats().requestsCompleted()).isZero();

        // the freed slot serves the next request at once
        w.reconfigure(w.config().toBuilder().interTokenMillis(0).build());
        assertThat(RawHttp.post(w.port(), "/v1/chat/completions", chat("next", 3, false)).status()).isEqualTo(200);
    }

    @Test
    void aWaitingRequestWhoseClientLeavesIsCancelledWithoutRunning() {
        SimulatedWorker w = start(SimConfig.builder().maxRunning(1).overheadMillis(0).prefillMicrosPerToken(0)
                .interTokenMillis(20).build());
        try (RawHttp a = RawHttp.connect(w.port())) {
            a.send("POST", "/v1/chat/completions", chat(promptOfAtLeast("first", 40), 40, true));
            a.readHead();
            a.readChunk();
            try (RawHttp b = RawHttp.connect(w.port())) {
                b.send("POST", "/v1/chat/completions", chat("second", 15, true));
                Await.until("the second request waits", () -> w.stats().waiting() == 1, w::stats);
            }
            Await.until("the waiting request is cancelled", () -> w.stats().requestsCancelled() == 1
                    && w.stats().waiting() == 0, w::stats);
            drain(a);
        }
        Await.until("the first completes", () -> w.stats().requestsCompleted() == 1, w::stats);
        assertThat(w.stats().running()).isZero();
    }

    @Test
    void zeroDelaysAnswerWithoutTimers() {
        int port = start(SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(0).build()).port();
        try (RawHttp http = RawHttp.connect(port)) {
            for (int i = 0; i < 20; i++) {
                http.send("POST", "/v1/chat/completions", chat("n" + i, 48, i % 2 == 0));
                RawHttp.Response r = http.readResponse();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.complete()).isTrue();
            }
        }
        assertThat(worker.stats().requestsCompleted()).isEqualTo(20);
    }

    private static void drain(RawHttp http) {
        while (http.readChunk() != null) {
            // read to the terminal chunk
        }
    }

    private static double kvCacheUsage(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("vllm:kv_cache_usage_perc{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
