package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scheduler on real sockets: a slower worker gets less work, and a worker whose scraped metrics
 * report a long queue gets none until the queue drains. Each test uses a model of its own, since the
 * scheduler keeps each model's view of a worker apart.
 */
class LoadAwareRoutingTest {

    private static final SimConfig FAST =
            SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(20).interTokenMillis(3).build();
    private static final SimConfig SLOW = FAST.toBuilder().prefillMicrosPerToken(80).interTokenMillis(12).build();

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(4, FAST)
            .configure(b -> b.loadProbe(Duration.ofMillis(20)).overloadThresholds(2, 0.99));

    @AfterEach
    void heal() {
        for (int i = 0; i < 4; i++) {
            gateway.worker(i).reconfigure(FAST);
        }
    }

    private static String stream(String model, int tokens) {
        return "{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":" + tokens
                + ",\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(200) + "\"}]}";
    }

    @Test
    void aFourTimesSlowerWorkerGetsAboutItsCapacityShare() throws Exception {
        gateway.worker(3).reconfigure(SLOW);
        int clients = 8;
        load(clients, 8); // the estimates learn the new speeds
        long[] before = received();
        load(clients, 20);
        long[] after = received();
        long total = 0;
        for (int i = 0; i < 4; i++) {
            total += after[i] - before[i];
        }
        assertThat(total).isEqualTo(clients * 20L);
        // its capacity share is 1/13 (about 8 %), an equal share 25 %
        double slowShare = (double) (after[3] - before[3]) / total;
        assertThat(slowShare).as("slow worker's share").isLessThan(0.15);
    }

    /** {@code clients} concurrent clients each sending {@code each} streams of 20 tokens, one after another. */
    private static void load(int clients, int each) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < each; i++) {
                        HttpResponse<String> r = gateway.send(gateway.post("/v1/chat/completions", stream("gpt-oss-120b", 20)).build());
                        if (r.statusCode() == 200 && r.body().endsWith("data: [DONE]\n\n")) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> r : results) {
                assertThat(r.get()).isEqualTo(each);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWorkerWhoseMetricsReportAQueueGetsNothingUntilItDrains() throws Exception {
        SimulatedWorker busy = gateway.worker(0);
        busy.reconfigure(FAST.toBuilder().maxRunning(1).build());
        WorkerState busyState = gateway.workerState("Qwen3-32B", 0);
        // fill it from outside the gateway with long answers: one running, three waiting, until we hang up
        List<Socket> outside = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket socket = new Socket("127.0.0.1", busy.port());
                byte[] body = stream("Qwen3-32B", 5000).getBytes(StandardCharsets.UTF_8);
                socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: sim\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().write(body);
                socket.getOutputStream().flush();
                outside.add(socket);
            }
            SaturationTest.await(busyState::overloaded);
            long busyBefore = busy.stats().requestsReceived();
            for (int i = 0; i < 12; i++) {
                HttpResponse<String> r = gateway.send(gateway.post("/v1/chat/completions", stream("Qwen3-32B", 3)).build());
                assertThat(r.statusCode()).isEqualTo(200);
            }
            assertThat(busy.stats().requestsReceived()).isEqualTo(busyBefore);
        } finally {
            for (Socket socket : outside) {
                socket.close(); // the worker cancels the sequences: its queue drains
            }
        }
        SaturationTest.await(() -> !busyState.overloaded());
    }

    private static long[] received() {
        long[] r = new long[4];
        for (int i = 0; i < 4; i++) {
            r[i] = gateway.worker(i).stats().requestsReceived();
        }
        return r;
    }
}
