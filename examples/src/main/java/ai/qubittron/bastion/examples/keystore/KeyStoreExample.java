package ai.qubittron.bastion.examples.keystore;

import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@link FileApiKeyStore} plugin at work: a keys file is written, a gateway is built without a key
 * store (so {@link java.util.ServiceLoader} finds the plugin), a key from the file is accepted, then its
 * line is taken out of the file and the same key is refused once the plugin has reloaded it.
 */
public final class KeyStoreExample {

    private KeyStoreExample() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("bastion-keys");
        run(dir).forEach(System.out::println);
    }

    /**
     * Runs the example with its keys file in {@code dir}.
     *
     * @return what happened, one line a step
     */
    public static List<String> run(Path dir) throws IOException, InterruptedException {
        Path file = dir.resolve("keys.txt");
        String key = ApiKeyHash.newKey();
        // the file holds the key's hash, never the key
        Files.writeString(file, "# sha256  key-id  account  tier  [models]\n"
                + FileApiKeyStore.line(key, new ApiPrincipal("key_alice", "acct_alice", "default", Set.of())) + "\n");
        List<String> steps = new ArrayList<>();
        String previous = System.setProperty(FileApiKeyStore.FILE_PROPERTY, file.toString());
        try (SimulatedWorker worker = SimulatedWorker.builder().port(0).build().start();
             Bastion gateway = Bastion.builder().port(0).worker("gpt-oss-120b", URI.create(worker.baseUrl()))
                     .build().start()) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest models = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/models"))
                    .header("Authorization", "Bearer " + key).build();
            steps.add("key in the file: " + http.send(models, HttpResponse.BodyHandlers.ofString()).statusCode());

            Files.writeString(file, "# key_alice revoked\n");
            int status = 200;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (status == 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                status = http.send(models, HttpResponse.BodyHandlers.ofString()).statusCode();
            }
            steps.add("line taken out of the file: " + status);
        } finally {
            if (previous == null) {
                System.clearProperty(FileApiKeyStore.FILE_PROPERTY);
            } else {
                System.setProperty(FileApiKeyStore.FILE_PROPERTY, previous);
            }
        }
        return steps;
    }
}
