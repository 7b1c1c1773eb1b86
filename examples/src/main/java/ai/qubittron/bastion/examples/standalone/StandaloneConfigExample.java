package ai.qubittron.bastion.examples.standalone;

import ai.qubittron.bastion.server.StandaloneGateway;
import ai.qubittron.bastion.server.config.ServerConfig;
import ai.qubittron.bastion.server.config.ServerConfigReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the standalone server from {@code examples/standalone-config/bastion.yaml} (two models on five
 * simulated GPU workers, two tiers, two accounts) exactly as {@code ./bastion serve --config} does, and
 * asks each model once with the example's key.
 *
 * <p>Arguments: the configuration file (default {@value #DEFAULT_FILE}, relative to the repository root),
 * then any {@code key.path=value} overrides, as {@code --set} takes them.
 */
public final class StandaloneConfigExample {

    /** The example's configuration file. */
    public static final String DEFAULT_FILE = "examples/standalone-config/bastion.yaml";
    /** The key whose SHA-256 the file lists for the account {@code acme}. */
    public static final String EXAMPLE_KEY = "qbt_example_acme_0123456789";

    private StandaloneConfigExample() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path file = Path.of(args.length > 0 ? args[0] : DEFAULT_FILE);
        List<String> overrides = args.length > 1 ? List.of(args).subList(1, args.length) : List.of();
        run(file, overrides).forEach(System.out::println);
    }

    /**
     * Reads the file with the overrides, starts the server, sends one chat completion to each model of its
     * catalog, stops, and returns the answers.
     */
    public static List<String> run(Path file, List<String> overrides) throws IOException, InterruptedException {
        ServerConfig config = ServerConfigReader.load(file, overrides, System::getenv);
        List<String> answers = new ArrayList<>();
        try (StandaloneGateway server = StandaloneGateway.start(config)) {
            HttpClient http = HttpClient.newHttpClient();
            for (var model : config.catalog().models()) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(server.gateway().baseUrl() + "/chat/completions"))
                        .header("Authorization", "Bearer " + EXAMPLE_KEY)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model.id() + "\",\"messages\":"
                                + "[{\"role\":\"user\",\"content\":\"Reply with exactly: ok\"}],\"max_tokens\":8}"))
                        .build();
                answers.add(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
            }
        }
        return answers;
    }
}
