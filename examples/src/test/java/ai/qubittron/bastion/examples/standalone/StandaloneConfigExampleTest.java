package ai.qubittron.bastion.examples.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.server.StandaloneGateway;
import ai.qubittron.bastion.server.config.ServerConfig;
import ai.qubittron.bastion.server.config.ServerConfigReader;
import ai.qubittron.bastion.sim.SimulatedWorker;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The example's configuration file, run as {@code ./bastion serve --config} runs it, on free ports. */
class StandaloneConfigExampleTest {

    /** The module's tests run in {@code examples/}: the file is beside them. */
    private static final Path FILE = Path.of("standalone-config/bastion.yaml");
    private static final List<String> FREE_PORTS = List.of("listener.port=0", "admin.port=0");

    @Test
    void theExampleAsksEachModelOfItsFile() throws Exception {
        List<String> answers = StandaloneConfigExample.run(FILE, FREE_PORTS);
        assertThat(answers).hasSize(2);
        assertThat(answers.get(0)).contains("\"object\":\"chat.completion\"", "\"model\":\"gpt-oss-120b\"");
        assertThat(answers.get(1)).contains("\"object\":\"chat.completion\"", "\"model\":\"Llama-3.1-8B-Instruct\"");
    }

    @Test
    void eachModelIsServedByItsOwnGroupOfWorkersAndBilledAtItsPrice() throws Exception {
        ServerConfig config = ServerConfigReader.load(FILE, FREE_PORTS, name -> null);
        assertThat(config.tiers()).containsKeys("free", "pro");
        try (StandaloneGateway server = StandaloneGateway.start(config)) {
            List<SimulatedWorker> workers = server.simulatedWorkers();
            assertThat(workers).hasSize(5);
            OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(StandaloneConfigExample.EXAMPLE_KEY)
                    .baseUrl(server.gateway().baseUrl()).build();
            for (int i = 0; i < 9; i++) {
                client.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model(ChatModel.of("openai/gpt-oss-120b")).addUserMessage("hi").maxCompletionTokens(2).build());
            }
            for (int i = 0; i < 4; i++) {
                client.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model(ChatModel.of("Llama-3.1-8B-Instruct")).addUserMessage("hi").maxCompletionTokens(2).build());
            }
            // the first group (3 workers) serves gpt-oss-120b only, the second (2) Llama only
            long big = workers.subList(0, 3).stream().mapToLong(w -> w.stats().requestsReceived()).sum();
            long small = workers.subList(3, 5).stream().mapToLong(w -> w.stats().requestsReceived()).sum();
            assertThat(big).isEqualTo(9);
            assertThat(small).isEqualTo(4);
            assertThat(workers.subList(0, 3)).allSatisfy(w -> assertThat(w.models()).containsExactly("gpt-oss-120b"));
            var acme = server.ledger().balance("acme").toCompletableFuture().join();
            assertThat(acme.spentMicros()).isPositive();
            assertThat(acme.balanceMicros() + acme.spentMicros()).isEqualTo(50_000_000);
        }
    }
}
