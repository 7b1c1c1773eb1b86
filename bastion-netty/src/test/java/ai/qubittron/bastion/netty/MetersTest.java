package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.netty.testing.ScriptedUpstream;
import ai.qubittron.bastion.sim.SimFaults;
import ai.qubittron.bastion.sim.SimulatedWorker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The gateway's meters, read from the registry it was given, after real requests through real sockets. */
class MetersTest {

    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(2).configure(b -> b.meterRegistry(REGISTRY));

    /** Each test uses models of its own, so that the counts and circuits of one do not touch another's. */
    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":4,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    void everyAnswerIsCountedByModelEndpointAndStatus() {
        for (int i = 0; i < 3; i++) {
            assertThat(post("/v1/chat/completions", chat("gpt-oss-120b", false)).statusCode()).isEqualTo(200);
        }
        // an alias is counted under the catalog id
        assertThat(post("/v1/completions", "{\"model\":\"openai/gpt-oss-120b\",\"prompt\":\"hi\",\"max_tokens\":2}")
                .statusCode()).isEqualTo(200);
        // a model the client invents is counted as "unknown", never under its own name
        assertThat(post("/v1/chat/completions", chat("made-up-model-7f3a", false)).statusCode()).isEqualTo(400);
        // an unreadable body has no model
        assertThat(post("/v1/responses", "{not json").statusCode()).isEqualTo(400);
        // a model the endpoint does not serve keeps its (bounded) catalog id
        assertThat(post("/v1/responses", "{\"model\":\"Mistral-7B-Instruct-v0.3\",\"input\":\"hi\"}").statusCode())
                .isEqualTo(400);
        assertThat(gateway.send(HttpRequest.newBuilder(gateway.uri("/v1/chat/completions"))
                .header("Authorization", "Bearer qbt_wrong_key_0000")
                .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-oss-120b", false))).build()).statusCode()).isEqualTo(401);
        assertThat(gateway.send(HttpRequest.newBuilder(gateway.uri("/v1/models"))
                .header("Authorization", "Bearer " + gateway.key()).GET().build()).statusCode()).isEqualTo(200);
        assertThat(gateway.send(HttpRequest.newBuilder(gateway.uri("/v1/models"))
                .header("Authorization", "Bearer " + gateway.key()).DELETE().build()).statusCode()).isEqualTo(405);
        assertThat(post("/v1/nope", "{}").statusCode()).isEqualTo(404);

        assertThat(requests("gpt-oss-120b", "chat.completions", "200")).isEqualTo(3);
        assertThat(requests("gpt-oss-120b", "completions", "200")).isEqualTo(1);
        assertThat(requests("unknown", "chat.completions", "400")).isEqualTo(1);
        assertThat(requests("none", "responses", "400")).isEqualTo(1);
        assertThat(requests("Mistral-7B-Instruct-v0.3", "responses", "400")).isEqualTo(1);
        assertThat(requests("none", "chat.completions", "401")).isEqualTo(1);
        assertThat(requests("none", "models", "200")).isEqualTo(1);
        assertThat(requests("none", "models", "405")).isEqualTo(1);
        assertThat(requests("none", "other", "404")).isEqualTo(1);
        for (Meter meter : REGISTRY.getMeters()) {
            assertThat(meter.getId().getTags()).extracting(Tag::getValue)
                    .doesNotContain("made-up-model-7f3a", "/v1/nope");
        }
        // non-streamed answers have no token timing, but the gateway's own time is measured
        assertThat(REGISTRY.find("bastion.ttft").tag("model", "gpt-oss-120b").timer()).isNull();
        Timer overhead = REGISTRY.get("bastion.overhead").tags("model", "gpt-oss-120b", "endpoint", "chat.completions").timer();
        assertThat(overhead.count()).isEqualTo(3);
        assertThat(overhead.max(TimeUnit.NANOSECONDS)).isPositive();
        assertThat(REGISTRY.find("bastion.overhead").tag("model", "unknown").timer()).isNull();
    }

    @Test
    void streamsRecordTimeToFirstTokenAndTokensPerSecond() {
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = post("/v1/chat/completions", chat("gpt-oss-20b", true));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("\"x_metrics\"");
        }
        Timer ttft = REGISTRY.get("bastion.ttft").tags("model", "gpt-oss-20b", "endpoint", "chat.completions").timer();
        assertThat(ttft.count()).isEqualTo(2);
        assertThat(ttft.totalTime(TimeUnit.NANOSECONDS)).isPositive();
        DistributionSummary tps = REGISTRY.get("bastion.tokens.per.second")
                .tags("model", "gpt-oss-20b", "endpoint", "chat.completions").summary();
        assertThat(tps.count()).isEqualTo(2);
        assertThat(tps.mean()).isPositive();
        assertThat(REGISTRY.get("bastion.overhead").tags("model", "gpt-oss-20b").timer().count()).isEqualTo(2);
        assertThat(requests("gpt-oss-20b", "chat.completions", "200")).isEqualTo(2);
    }

    @Test
    void workerGaugesFollowTheWorkersAndReadZeroInFlightAfterTheRequests() {
        assertThat(post("/v1/chat/completions", chat("Llama-3.1-8B-Instruct", true)).statusCode()).isEqualTo(200);
        assertThat(post("/v1/chat/completions", chat("Llama-3.1-8B-Instruct", false)).statusCode()).isEqualTo(200);
        for (int i = 0; i < 2; i++) {
            String worker = gateway.worker(i).baseUrl();
            assertThat(workerGauge("bastion.worker.in.flight", "Llama-3.1-8B-Instruct", worker).value()).isZero();
            assertThat(workerGauge("bastion.worker.pending.prefill.tokens", "Llama-3.1-8B-Instruct", worker).value()).isZero();
            assertThat(workerGauge("bastion.worker.decoding", "Llama-3.1-8B-Instruct", worker).value()).isZero();
            assertThat(workerGauge("bastion.worker.circuit", "Llama-3.1-8B-Instruct", worker).value()).isZero();
            assertThat(workerGauge("bastion.worker.ttft.per.token", "Llama-3.1-8B-Instruct", worker).value()).isPositive();
            assertThat(workerGauge("bastion.worker.itl", "Llama-3.1-8B-Instruct", worker).value()).isPositive();
            assertThat(REGISTRY.get("bastion.worker.ejections").tags("model", "Llama-3.1-8B-Instruct", "worker", worker)
                    .functionCounter().count()).isZero();
        }

        try (SimulatedWorker extra = SimulatedWorker.builder().port(0).models(List.of("Llama-3.1-8B-Instruct")).build().start()) {
            URI uri = URI.create(extra.baseUrl());
            gateway.gateway().addWorker("Llama-3.1-8B-Instruct", uri);
            assertThat(workerMeters(extra.baseUrl())).hasSize(7);
            assertThat(workerGauge("bastion.worker.in.flight", "Llama-3.1-8B-Instruct", extra.baseUrl()).value()).isZero();

            assertThat(gateway.gateway().removeWorker("Llama-3.1-8B-Instruct", uri)).isTrue();
            assertThat(workerMeters(extra.baseUrl())).isEmpty();
        }
        assertThat(workerMeters(gateway.worker(0).baseUrl())).isNotEmpty();
    }

    @Test
    void failoversAreRetriesAndConsecutiveFailuresEjectAWorker() {
        String model = "Qwen3-32B";
        gateway.worker(0).faults(SimFaults.builder().errorRate(1.0).build());
        gateway.worker(1).faults(SimFaults.builder().errorRate(1.0).build());
        try {
            // each request fails on one worker, moves to the other (a retry), fails there too: 502
            for (int i = 0; i < 3; i++) {
                assertThat(post("/v1/chat/completions", chat(model, false)).statusCode()).isEqualTo(502);
            }
            // three failures in a row on each: both circuits are open, and this one is not tried anywhere
            assertThat(post("/v1/chat/completions", chat(model, false)).statusCode()).isEqualTo(502);
        } finally {
            gateway.worker(0).faults(SimFaults.NONE);
            gateway.worker(1).faults(SimFaults.NONE);
        }
        assertThat(requests(model, "chat.completions", "502")).isEqualTo(4);
        assertThat(REGISTRY.get("bastion.retries").tags("model", model, "reason", "failover").counter().count()).isEqualTo(3);
        for (int i = 0; i < 2; i++) {
            String worker = gateway.worker(i).baseUrl();
            FunctionCounter ejections = REGISTRY.get("bastion.worker.ejections").tags("model", model, "worker", worker)
                    .functionCounter();
            assertThat(ejections.count()).isEqualTo(1);
            assertThat(workerGauge("bastion.worker.circuit", model, worker).value()).isEqualTo(1);
            assertThat(workerGauge("bastion.worker.in.flight", model, worker).value()).isZero();
        }
        // the gateway's own time is still measured for requests that reached a worker, not for the last one
        assertThat(REGISTRY.get("bastion.overhead").tags("model", model).timer().count()).isEqualTo(3);
    }

    @Test
    void aKeptAliveConnectionFoundClosedIsAReconnectRetry() throws Exception {
        String body = "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
        String ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // the second request arrives on the kept-alive connection, which the worker then closes unanswered
        try (ScriptedUpstream upstream = new ScriptedUpstream((n, head, out) -> {
                 if (n == 2) {
                     return false;
                 }
                 out.write(ok.getBytes(StandardCharsets.UTF_8));
                 return true;
             });
             Bastion own = Bastion.builder().port(0).ioThreads(1).keyStore(gateway.keys()).discovery(false)
                     .meterRegistry(registry).worker("gpt-oss-120b", URI.create(upstream.baseUrl()))
                     .loadProbe(Duration.ZERO) // the script numbers every request, whatever its path
                     .build().start()) {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> response = gateway.send(HttpRequest.newBuilder(URI.create(own.baseUrl() + "/chat/completions"))
                        .header("Authorization", "Bearer " + gateway.key())
                        .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-oss-120b", false))).build());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            }
            assertThat(upstream.requests()).isEqualTo(3);
        }
        assertThat(registry.get("bastion.retries").tags("model", "gpt-oss-120b", "reason", "reconnect").counter().count())
                .isEqualTo(1);
        assertThat(registry.find("bastion.retries").tag("reason", "failover").counter()).isNull();
        assertThat(registry.get("bastion.requests").tags("model", "gpt-oss-120b", "status", "200").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("bastion.overhead").tags("model", "gpt-oss-120b").timer().count()).isEqualTo(2);
        // the gateway closed: its workers' meters left the registry, the request meters stayed
        assertThat(registry.find("bastion.worker.in.flight").gauge()).isNull();
    }

    private static HttpResponse<String> post(String path, String body) {
        return gateway.send(gateway.post(path, body).build());
    }

    private static double requests(String model, String endpoint, String status) {
        Counter counter = REGISTRY.find("bastion.requests").tags("model", model, "endpoint", endpoint, "status", status).counter();
        return counter == null ? 0 : counter.count();
    }

    private static Gauge workerGauge(String name, String model, String worker) {
        return REGISTRY.get(name).tags("model", model, "worker", worker).gauge();
    }

    private static List<Meter> workerMeters(String worker) {
        return REGISTRY.getMeters().stream().filter(m -> worker.equals(m.getId().getTag("worker"))).toList();
    }
}
