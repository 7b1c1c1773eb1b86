package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimConfig;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When every worker of a model is at its in-flight cap, a request waits a bounded time for one to free,
 * then gets 503 with {@code Retry-After}; nothing leaks either way.
 */
class SaturationTest {

    private static final String MODEL = "gpt-oss-120b";

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1,
                    SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(10).interTokenMillis(20).build())
            .configure(b -> b.maxInFlightPerWorker(1).saturationWait(Duration.ofSeconds(1)));

    private static String chat(int maxTokens, boolean stream) {
        return "{\"model\":\"" + MODEL + "\",\"stream\":" + stream + ",\"max_tokens\":" + maxTokens
                + ",\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    /** Sends a streamed request that holds the only slot for about {@code tokens} × 20 ms. */
    private static CompletableFuture<HttpResponse<String>> holdTheWorker(int tokens) throws InterruptedException {
        CompletableFuture<HttpResponse<String>> holder = gateway.http().sendAsync(
                gateway.post("/v1/chat/completions", chat(tokens, true)).build(), HttpResponse.BodyHandlers.ofString());
        await(() -> gateway.worker(0).stats().running() == 1); // it reached the worker
        return holder;
    }

    @Test
    void whileTheOnlyWorkerStaysFullARequestWaitsThenGets503WithRetryAfter() throws Exception {
        CompletableFuture<HttpResponse<String>> holder = holdTheWorker(100);
        long received = gateway.worker(0).stats().requestsReceived();
        long start = System.nanoTime();
        HttpResponse<String> refused = gateway.send(gateway.post("/v1/chat/completions", chat(2, false)).build());
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
        assertThat(refused.body()).isEqualTo("{\"error\":{\"message\":\"Every upstream worker for the model 'gpt-oss-120b'"
                + " is at capacity. Retry after 1 s.\",\"type\":\"api_error\",\"code\":\"service_unavailable\"}}");
        assertThat(waitedMillis).isGreaterThanOrEqualTo(900);
        assertThat(gateway.worker(0).stats().requestsReceived()).isEqualTo(received); // never sent upstream
        assertThat(holder.get().statusCode()).isEqualTo(200);
        assertThat(holder.get().body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void aWaitingRequestGetsTheWorkerAsSoonAsItFrees() throws Exception {
        CompletableFuture<HttpResponse<String>> holder = holdTheWorker(3);
        HttpResponse<String> waited = gateway.send(gateway.post("/v1/chat/completions", chat(2, false)).build());
        assertThat(waited.statusCode()).as(waited.body()).isEqualTo(200);
        assertThat(holder.get().statusCode()).isEqualTo(200);
    }

    @Test
    void aClientThatGivesUpWhileWaitingLeavesNothingBehind() throws Exception {
        CompletableFuture<HttpResponse<String>> holder = holdTheWorker(30);
        long received = gateway.worker(0).stats().requestsReceived();
        assertThatThrownBy(() -> gateway.http().send(gateway.post("/v1/chat/completions", chat(2, false))
                .timeout(Duration.ofMillis(200)).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(holder.get().statusCode()).isEqualTo(200);
        // the abandoned request never reached the worker, and the next one is served at once
        assertThat(gateway.worker(0).stats().requestsReceived()).isEqualTo(received);
        assertThat(gateway.send(gateway.post("/v1/chat/completions", chat(2, false)).build()).statusCode()).isEqualTo(200);
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
