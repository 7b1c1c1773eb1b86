package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimFaults;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A broken worker among healthy ones costs clients nothing: requests move to the others, and it is ejected. */
class FailoverTest {

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(2);

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
}
