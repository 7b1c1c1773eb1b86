package ai.qubittron.bastion.examples.embedded;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;

/**
 * Embeds Bastion in a Java program: one simulated GPU worker stands in for a vLLM server, the gateway
 * fronts it with an in-memory key store, and a plain HTTP client calls the gateway like any OpenAI
 * client would.
 */
public final class EmbeddedGatewayExample {

    private EmbeddedGatewayExample() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        System.out.println(run());
    }

    /** Starts everything on ephemeral ports, sends one chat completion, stops, and returns the response body. */
    public static String run() throws IOException, InterruptedException {
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        // the key is shown once; the store keeps only its hash
        String key = keys.create(new ApiPrincipal("key_example", "acct_example", ApiPrincipal.DEFAULT_TIER, Set.of()));

        try (SimulatedWorker worker = SimulatedWorker.builder().port(0).build().start();
             Bastion gateway = Bastion.builder()
                     .port(0)
                     .keyStore(keys)
                     .worker("gpt-oss-120b", URI.create(worker.baseUrl()))
                     .build()
                     .start()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                    .header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-oss-120b\","
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"Reply with exactly: ok\"}],\"max_tokens\":16}"))
                    .build();
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
        }
    }
}
