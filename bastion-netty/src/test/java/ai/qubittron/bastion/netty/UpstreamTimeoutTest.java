package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
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
}
