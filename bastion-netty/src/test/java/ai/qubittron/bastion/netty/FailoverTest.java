package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.scheduler.CircuitState;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimFaults;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A broken worker among healthy ones costs clients nothing: requests move to the others, and it is ejected. */
class FailoverTest {

    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(2).configure(b -> b.meterRegistry(REGISTRY));

    /** Each test uses a model of its own: the scheduler keeps each model's view of a worker apart. */
    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @AfterEach
    void heal() {
        gateway.worker(0).faults(SimFaults.NONE);
        gateway.worker(0).refuseConnections(false);
    }

    @Test
    void aWorkerAnswering500IsAvoidedAndEjected() {
        gateway.worker(0).faults(SimFaults.builder().errorRate(1.0).build());
        long before = gateway.worker(0).stats().errorsInjected();
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", chat("gpt-oss-120b")).build());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
        // it was tried (ties are broken at random), and three consecutive failures opened its circuit:
        // at most a probe or two after the 1 s backoff
        assertThat(gateway.worker(0).stats().errorsInjected() - before).isBetween(1L, 6L);
    }

    @Test
    void aWorkerThatRefusesConnectionsIsAvoided() {
        gateway.worker(0).refuseConnections(true);
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", chat("gpt-oss-20b")).build());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
    }

    @Test
    void whenEveryWorkerFailsTheClientGets502() {
        gateway.worker(0).faults(SimFaults.builder().errorRate(1.0).build());
        gateway.worker(1).faults(SimFaults.builder().errorRate(1.0).build());
        try {
            HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", chat("Qwen3-32B")).build());
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("\"code\":\"upstream_error\"");
        } finally {
            gateway.worker(1).faults(SimFaults.NONE);
        }
    }

    /**
     * A worker that dies (its listening socket and every open connection closed) while 8 clients keep it
     * busy: every request that had not started streaming is answered by the other worker, only a stream
     * already under way may end with an error event, and once the circuit opened the dead worker is tried
     * only by the backoff's probes.
     */
    @Test
    void aWorkerThatDiesUnderLoadCostsNoRequestThatHadNotStartedStreaming() throws Exception {
        String model = "Llama-3.1-8B-Instruct";
        int clients = 8;
        int each = 24;
        CountDownLatch warm = new CountDownLatch(32);
        AtomicInteger cutStreams = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                results.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        boolean stream = i % 2 == 0;
                        HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions",
                                "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":20,\"ignore_eos\":true,"
                                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").build());
                        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                        if (!stream) {
                            assertThat(response.body()).contains("\"finish_reason\":\"length\"");
                        } else if (!response.body().endsWith("data: [DONE]\n\n")) {
                            // cut while streaming: it had relayed tokens, and says why it ends
                            assertThat(response.body()).contains("\"delta\":{\"content\":")
                                    .contains("\"code\":\"upstream_error\"");
                            cutStreams.incrementAndGet();
                        }
                        warm.countDown();
                    }
                    return null;
                }));
            }
            assertThat(warm.await(30, TimeUnit.SECONDS)).isTrue();
            gateway.worker(0).refuseConnections(true);
            for (Future<?> result : results) {
                result.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(cutStreams.get()).as("streams cut mid-way").isLessThanOrEqualTo(clients);

        WorkerState dead = gateway.workerState(model, 0);
        assertThat(dead.ejections()).isEqualTo(1);
        double failovers = failovers(model);
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", chat(model)).build());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
        // no new ejection, and at most the probes its backoff (1 s, then 2 s) allows in that time
        assertThat(dead.ejections()).isEqualTo(1);
        assertThat(dead.circuitState()).isNotEqualTo(CircuitState.CLOSED);
        assertThat(failovers(model) - failovers).isLessThanOrEqualTo(2);
    }

    /**
     * Requests of the model moved to another worker so far; 0 while none was (the counter appears with the
     * first). The dead worker may be ejected before any request fails over: by its streams cut mid-way,
     * which cannot move, or by the load probe meeting its refusal first.
     */
    private static double failovers(String model) {
        var counter = REGISTRY.find("bastion.retries").tags("model", model, "reason", "failover").counter();
        return counter == null ? 0 : counter.count();
    }
}
