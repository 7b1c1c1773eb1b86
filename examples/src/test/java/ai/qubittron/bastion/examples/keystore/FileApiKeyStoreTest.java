package ai.qubittron.bastion.examples.keystore;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.tck.ApiKeyStoreContractTest;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The key store plugin passes the SPI contract, and a gateway finds it by itself. */
@ExtendWith(LeakDetectionExtension.class)
class FileApiKeyStoreTest {

    @TempDir
    Path dir;

    @Nested
    class Contract extends ApiKeyStoreContractTest {
        private Path file;
        private FileApiKeyStore store;

        @Override
        protected ApiKeyStore newStore() {
            file = dir.resolve("keys-" + System.nanoTime() + ".txt");
            store = new FileApiKeyStore(file);
            return store;
        }

        @Override
        protected void register(ApiKeyStore ignored, String key, ApiPrincipal principal) {
            write(file, FileApiKeyStore.line(key, principal) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            store.reload();
        }

        @Override
        protected void revoke(ApiKeyStore ignored, String keyId) {
            try {
                List<String> kept = Files.readAllLines(file).stream().filter(l -> !l.contains(" " + keyId + " ")).toList();
                Files.write(file, kept);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            store.reload();
        }

        @Override
        protected Set<String> storedForms(ApiKeyStore ignored) {
            try {
                return Files.readAllLines(file).stream().flatMap(l -> Arrays.stream(l.split("\\s+")))
                        .collect(Collectors.toCollection(HashSet::new));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @AfterEach
        void close() {
            store.close();
        }
    }

    @Test
    void aGatewayBuiltWithoutAKeyStoreDiscoversThePluginAndSeesEditsToTheFile() throws Exception {
        Path file = dir.resolve("keys.txt");
        String key = ApiKeyHash.newKey();
        write(file, "# keys of the example\n" + FileApiKeyStore.line(key, new ApiPrincipal("key_file", "acct_file", "default",
                Set.of())) + "\nthis line is broken\n", StandardOpenOption.CREATE);
        System.setProperty(FileApiKeyStore.FILE_PROPERTY, file.toString());
        try (SimulatedWorker worker = SimulatedWorker.builder().port(0).build().start();
             Bastion gateway = Bastion.builder().port(0).worker("gpt-oss-120b", URI.create(worker.baseUrl())).build().start()) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest models = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/models"))
                    .header("Authorization", "Bearer " + key).build();
            assertThat(http.send(models, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            // revoked by taking its line out of the file: refused within the watcher's second or two
            write(file, "# no keys\n", StandardOpenOption.TRUNCATE_EXISTING);
            long deadline = System.nanoTime() + 10_000_000_000L;
            int status = 200;
            while (status == 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                status = http.send(models, HttpResponse.BodyHandlers.ofString()).statusCode();
            }
            assertThat(status).isEqualTo(401);
        } finally {
            System.clearProperty(FileApiKeyStore.FILE_PROPERTY);
        }
    }

    private static void write(Path file, String text, StandardOpenOption... options) {
        try {
            Files.writeString(file, text, options);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
