package ai.qubittron.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.server.config.ConfigReference;
import ai.qubittron.bastion.server.config.ServerConfig;
import ai.qubittron.bastion.server.config.ServerConfigReader;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.RateLimitException;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bastion serve}: a configuration file run for real, its flags over it, and its refusals. */
class ServeCommandTest {

    private static final String KEY = "qbt_serve_test_key_0123456789";
    private static final String LIMITED_KEY = "qbt_serve_limited_key_0123456789";
    private static final String ADMIN_TOKEN = "serve-admin-token-0123";

    @TempDir
    Path dir;

    /** Runs {@code bastion args…} (a command that ends by itself) and returns its exit code and error output. */
    private static Map.Entry<Integer, String> run(String... args) {
        CommandLine line = BastionMain.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err, true));
        int code = line.execute(args);
        return Map.entry(code, err.toString());
    }

    @Test
    void aConfigurationIsServedWithItsModelsWorkersTiersAndAccounts() throws Exception {
        SimulatedWorker gpu = SimulatedWorker.builder().port(0).models(List.of("served-name"))
                .config(SimConfig.builder().interTokenMillis(1).prefillMicrosPerToken(1).build()).build().start();
        Path file = dir.resolve("bastion.yaml");
        Files.writeString(file, """
                admin: {port: 0, token: %s}
                models:
                  - {id: house-model, aliases: [house/model], upstream_name: served-name}
                  - Kokoro-82M
                tiers:
                  tiny: {requests_per_minute: 2, tokens_per_minute: 100000}
                workers:
                  - {url: %s, models: [house-model]}
                accounts:
                  - id: acme
                    balance_micros: 1000000
                    keys: [{id: key_main, sha256: %s}]
                  - id: small
                    tier: tiny
                    balance_micros: 1000000
                    keys: [{id: key_small, sha256: %s, models: [house-model]}]
                """.formatted(ADMIN_TOKEN, gpu.baseUrl(), ApiKeyHash.of(KEY).toHex(), ApiKeyHash.of(LIMITED_KEY).toHex()));
        ServerConfig config = ServerConfigReader.load(file, List.of("listener.port=0"), name -> null);
        try (StandaloneGateway server = StandaloneGateway.start(config)) {
            assertThat(server.modelsWithoutWorkers()).containsExactly("Kokoro-82M");
            OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(KEY).baseUrl(server.gateway().baseUrl()).build();
            ChatCompletion chat = client.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model(ChatModel.of("house/model")).addUserMessage("hello").maxCompletionTokens(4).build());
            assertThat(chat.model()).isEqualTo("served-name");
            assertThat(gpu.stats().requestsReceived()).isEqualTo(1);
            long spent = server.ledger().balance("acme").toCompletableFuture().join().spentMicros();
            assertThat(spent).isPositive();

            OpenAIClient small = OpenAIOkHttpClient.builder().apiKey(LIMITED_KEY).baseUrl(server.gateway().baseUrl())
                    .maxRetries(0).build();
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                    .model(ChatModel.of("house-model")).addUserMessage("hello").maxCompletionTokens(4).build();
            small.chat().completions().create(params);
            small.chat().completions().create(params);
            try {
                small.chat().completions().create(params);
                throw new AssertionError("the tiny tier allows 2 requests a minute");
            } catch (RateLimitException expected) {
                assertThat(expected.statusCode()).isEqualTo(429);
            }

            HttpResponse<String> admin = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.admin().port() + "/admin/v1/accounts/small"))
                    .header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(admin.body()).contains("\"tier\":\"tiny\"");
        } finally {
            gpu.close();
        }
    }

    @Test
    void aKeyLimitedToModelsIsRefusedTheOthers() throws Exception {
        Path file = dir.resolve("bastion.yaml");
        Files.writeString(file, """
                admin: {enabled: false}
                listener: {port: 0}
                models: [gpt-oss-120b, gpt-oss-20b]
                simulated_workers: [{count: 1, inter_token_millis: 1, prefill_micros_per_token: 1}]
                accounts:
                  - {id: acme, balance_micros: 1000000, keys: [{id: k, sha256: %s, models: [gpt-oss-20b]}]}
                """.formatted(ApiKeyHash.of(KEY).toHex()));
        try (StandaloneGateway server = StandaloneGateway.start(ServerConfigReader.load(file, List.of(), name -> null))) {
            assertThat(server.admin()).isNull();
            OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(KEY).baseUrl(server.gateway().baseUrl())
                    .maxRetries(0).build();
            assertThat(client.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model(ChatModel.of("gpt-oss-20b")).addUserMessage("hi").maxCompletionTokens(2).build()).model())
                    .isEqualTo("gpt-oss-20b");
            try {
                client.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model(ChatModel.of("gpt-oss-120b")).addUserMessage("hi").maxCompletionTokens(2).build());
                throw new AssertionError("the key may use gpt-oss-20b only");
            } catch (BadRequestException expected) {
                // a model the key may not use is answered as one that does not exist: nothing is revealed
                assertThat(expected.getMessage()).contains("The model 'gpt-oss-120b' does not exist");
            }
        }
    }

    @Test
    void checkSaysWhetherTheConfigurationIsUsableAndFlagsGoOverTheFile() throws Exception {
        Path file = dir.resolve("bastion.yaml");
        Files.writeString(file, "admin: {enabled: false}\nworkers:\n  - url: http://gpu-1:8000\n");
        assertThat(run("serve", "--config", file.toString(), "--check").getKey()).isZero();

        Map.Entry<Integer, String> badFlag = run("serve", "--config", file.toString(), "--check", "--port", "70000");
        assertThat(badFlag.getKey()).isEqualTo(2);
        assertThat(badFlag.getValue()).isEqualTo("bastion serve: --port: listener.port: must be between 0 and 65535, "
                + "got 70000" + System.lineSeparator());

        Map.Entry<Integer, String> badSet = run("serve", "-c", file.toString(), "--check", "--set", "gateway.drain=1s");
        assertThat(badSet.getKey()).isEqualTo(2);
        assertThat(badSet.getValue()).startsWith("bastion serve: --set gateway.drain: gateway.drain: unknown key "
                + "(did you mean drain_timeout?)");

        // a named flag is taken as written, not as YAML: a URL with ':' and '&' stays one string
        Map.Entry<Integer, String> badRedis = run("serve", "-c", file.toString(), "--check", "--redis", "http://x:1&y");
        assertThat(badRedis.getValue()).isEqualTo("bastion serve: --redis: backends.redis: must be a redis:// or "
                + "rediss:// URI" + System.lineSeparator());

        Files.writeString(file, "admin: {enabled: false}\nworkers:\n  - url: http://gpu-1:8000\n    modles: []\n");
        Map.Entry<Integer, String> badFile = run("serve", "--config", file.toString());
        assertThat(badFile.getKey()).isEqualTo(2);
        assertThat(badFile.getValue()).startsWith("bastion serve: bastion.yaml:4: workers[0].modles: unknown key "
                + "(did you mean models?)");
    }

    @Test
    void helpDocumentsTheFlagsAndEveryKeyOfTheFile() {
        CommandLine line = BastionMain.commandLine();
        String usage = line.getSubcommands().get("serve").getUsageMessage();
        assertThat(usage).contains("--config", "--set", "--check", "--port");
        for (String reference : ConfigReference.lines()) {
            assertThat(usage).contains(reference.strip());
        }
        assertThat(line.getUsageMessage()).contains("serve", "demo", "sim", "bastion serve --help");
    }
}
