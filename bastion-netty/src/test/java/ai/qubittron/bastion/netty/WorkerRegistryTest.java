package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Workers are added, drained and removed while the gateway serves, without a restart. */
class WorkerRegistryTest {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void workersComeAndGoAtRunTime() throws Exception {
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        String key = keys.create(new ApiPrincipal("k", "a", ApiPrincipal.DEFAULT_TIER, Set.of()));
        try (SimulatedWorker first = SimulatedWorker.builder().port(0).models(List.of("gpt-oss-120b", "gpt-oss-20b")).build().start();
             SimulatedWorker second = SimulatedWorker.builder().port(0).models(List.of("gpt-oss-120b", "gpt-oss-20b")).build().start();
             Bastion gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys).discovery(false)
                     .worker("gpt-oss-120b", URI.create(first.baseUrl())).build().start()) {
            URI a = URI.create(first.baseUrl());
            URI b = URI.create(second.baseUrl());
            assertThat(models(gateway, key)).isEqualTo("{\"object\":\"list\",\"data\":[{\"id\":\"gpt-oss-120b\","
                    + "\"object\":\"model\",\"created\":1735689600,\"owned_by\":\"qubittron\"}]}");

            gateway.addWorker("openai/gpt-oss-120b", b);
            assertThatThrownBy(() -> gateway.addWorker("gpt-oss-120b", b)).isInstanceOf(IllegalArgumentException.class);
            assertThat(gateway.drainWorker("gpt-oss-120b", a)).isTrue();
            long firstBefore = first.stats().requestsReceived();
            for (int i = 0; i < 5; i++) {
                assertThat(chat(gateway, key, "gpt-oss-120b").statusCode()).isEqualTo(200);
            }
            assertThat(first.stats().requestsReceived()).isEqualTo(firstBefore);
            assertThat(second.stats().requestsReceived()).isEqualTo(5);
            assertThat(gateway.inFlight("gpt-oss-120b", b)).isZero();

            assertThat(gateway.removeWorker("gpt-oss-120b", a)).isTrue();
            assertThat(gateway.removeWorker("gpt-oss-120b", a)).isFalse();
            assertThat(chat(gateway, key, "gpt-oss-120b").statusCode()).isEqualTo(200);

            // a model that had no worker becomes available, and listed, when one is added
            assertThat(chat(gateway, key, "gpt-oss-20b").statusCode()).isEqualTo(502);
            gateway.addWorker("gpt-oss-20b", a);
            assertThat(chat(gateway, key, "gpt-oss-20b").statusCode()).isEqualTo(200);
            assertThat(models(gateway, key)).contains("\"id\":\"gpt-oss-20b\"");
            assertThatThrownBy(() -> gateway.addWorker("gpt-9", a)).hasMessageContaining("not in the catalog");
        }
    }

    private HttpResponse<String> chat(Bastion gateway, String key, String model) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":2,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String models(Bastion gateway, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/models"))
                .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
