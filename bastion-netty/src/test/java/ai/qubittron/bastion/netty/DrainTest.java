package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stopping a gateway gracefully: requests in flight finish within the drain, what is left then ends
 * with a final error event, each request is settled once, and idle connections do not hold it up.
 */
@ExtendWith(LeakDetectionExtension.class)
@Timeout(60)
class DrainTest {

    private SimulatedWorker worker;
    private InMemoryLedger ledger;
    private String key;
    private Bastion gateway;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() {
        // 20 ms a token: a stream of n tokens lasts about n × 20 ms
        worker = SimulatedWorker.builder().port(0).models("gpt-oss-120b")
                .config(SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(20).build())
                .build().start();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        key = keys.create(new ApiPrincipal("k", "acct", ApiPrincipal.DEFAULT_TIER, Set.of()));
        ledger = new InMemoryLedger();
        ledger.open("acct", 1_000_000_000L);
        gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys).ledger(ledger).discovery(false)
                .worker("gpt-oss-120b", URI.create(worker.baseUrl())).loadProbe(Duration.ZERO).build().start();
    }

    @AfterEach
    void stop() {
        gateway.close(Duration.ZERO);
        worker.close();
    }

    private CompletableFuture<HttpResponse<String>> stream(int tokens) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":" + tokens
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private AccountBalance balance() {
        return ledger.balance("acct").toCompletableFuture().join();
    }

    private void awaitInFlight(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gateway.inFlight("gpt-oss-120b", URI.create(worker.baseUrl())) < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(100);
    }

    @Test
    void streamsInFlightFinishWithinTheDrainAndNewConnectionsAreRefused() throws Exception {
        CompletableFuture<HttpResponse<String>> first = stream(40);
        CompletableFuture<HttpResponse<String>> second = stream(40);
        awaitInFlight(2);
        int port = gateway.port();

        long start = System.nanoTime();
        boolean clean = gateway.close(Duration.ofSeconds(20));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(clean).isTrue();
        for (HttpResponse<String> done : new HttpResponse[] {first.join(), second.join()}) {
            assertThat(done.statusCode()).isEqualTo(200);
            assertThat(done.body()).contains("\"x_metrics\":").endsWith("data: [DONE]\n\n").doesNotContain("\"error\"");
        }
        // it waited for the streams (about 0.8 s), not for the whole drain
        assertThat(tookMillis).isLessThan(10_000);
        assertThat(balance().reservedMicros()).isZero();
        assertThat(balance().spentMicros()).isPositive();
        try (Socket refused = new Socket("127.0.0.1", port)) {
            throw new AssertionError("the listener still accepts");
        } catch (ConnectException expected) {
            // stopped accepting
        }
    }

    @Test
    void aStreamStillRunningWhenTheDrainEndsGetsAFinalErrorEventAndIsBilledOnce() throws Exception {
        CompletableFuture<HttpResponse<String>> longStream = stream(2_000);
        awaitInFlight(1);

        assertThat(gateway.close(Duration.ofMillis(300))).isFalse();

        HttpResponse<String> cut = longStream.join();
        assertThat(cut.statusCode()).isEqualTo(200);
        assertThat(cut.body()).contains("\"content\":")
                .endsWith("data: {\"error\":{\"message\":\"The gateway is shutting down; retry the request.\","
                        + "\"type\":\"api_error\",\"code\":\"service_unavailable\"}}\n\n");
        // settled once, for what was delivered: nothing stays reserved
        AccountBalance after = balance();
        assertThat(after.reservedMicros()).isZero();
        assertThat(after.spentMicros()).isPositive();
    }

    @Test
    void idleKeptAliveConnectionsDoNotHoldTheStopUp() throws Exception {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/models"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
        }
        try (Socket idle = new Socket("127.0.0.1", gateway.port())) {
            long start = System.nanoTime();
            assertThat(gateway.close(Duration.ofSeconds(20))).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
            idle.setSoTimeout(5_000);
            assertThat(idle.getInputStream().read()).as("the idle connection was closed").isEqualTo(-1);
        } catch (IOException reset) {
            // closed under us: as good
        }
    }
}
