package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.netty.testing.ScriptedUpstream;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A worker that goes silent does not hold the client (or the connection) forever. */
class UpstreamTimeoutTest {

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1,
                    SimConfig.builder().overheadMillis(20_000).interTokenMillis(1).build())
            .configure(b -> b.upstreamIdleTimeout(Duration.ofMillis(300)));

    @Test
    void aSilentWorkerIs502AndItsRequestIsAbandoned() throws Exception {
        HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions",
                "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").build());
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"The upstream model server sent nothing for 300 ms.\","
                + "\"type\":\"api_error\",\"code\":\"upstream_error\"}}");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gateway.worker(0).stats().requestsCancelled() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(gateway.worker(0).stats().requestsCancelled()).isEqualTo(1);
    }

    @Test
    void aStreamWhoseHeadDoesNotComeInTimeMovesToAnotherWorker() throws Exception {
        String stream = "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":3,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        String key = keys.create(new ApiPrincipal("k", "a", ApiPrincipal.DEFAULT_TIER, Set.of()));
        try (ScriptedUpstream silent = new ScriptedUpstream(ScriptedUpstream.byNumber(n -> null));
             SimulatedWorker healthy = SimulatedWorker.builder().config(SimConfig.builder().overheadMillis(1)
                     .interTokenMillis(1).build()).build().start();
             Bastion alone = Bastion.builder().port(0).ioThreads(1).keyStore(keys).loadProbe(Duration.ZERO)
                     .worker("gpt-oss-120b", URI.create(silent.baseUrl()))
                     .responseHeadTimeout(Duration.ofMillis(300))
                     .build().start()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(alone.baseUrl() + "/chat/completions"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(stream)).build();
            // its only worker is silent: the head timeout fails it, and there is nowhere else to go
            HttpResponse<String> failed = gateway.http().send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(failed.statusCode()).isEqualTo(502);
            assertThat(failed.body()).contains("did not answer within 300 ms");
            assertThat(silent.requests()).isEqualTo(1);

            // a healthy worker joins while the next stream waits on the silent one: at the head timeout the
            // stream moves to it, and the client sees nothing of the first attempt
            CompletableFuture<HttpResponse<String>> moved = gateway.http().sendAsync(request, HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (silent.requests() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(silent.requests()).isEqualTo(2);
            alone.addWorker("gpt-oss-120b", URI.create(healthy.baseUrl()));
            HttpResponse<String> served = moved.get();
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.body()).startsWith("data: {").endsWith("data: [DONE]\n\n").doesNotContain("error");
            assertThat(healthy.stats().requestsCompleted()).isEqualTo(1);
            assertThat(alone.workers("gpt-oss-120b")).allSatisfy(w -> assertThat(w.inFlight()).isZero());
        }
    }
}
