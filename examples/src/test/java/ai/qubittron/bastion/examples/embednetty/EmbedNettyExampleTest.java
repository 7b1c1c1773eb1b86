package ai.qubittron.bastion.examples.embednetty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.testing.LeakDetectionExtension;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakDetectionExtension.class)
class EmbedNettyExampleTest {

    @Test
    void theHostServesItsPagesAndTheMountedGatewayServesTheOpenAiApiOnOneConnection() throws Exception {
        try (EmbedNettyExample host = EmbedNettyExample.start(0)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + host.port();
            for (int i = 0; i < 3; i++) {
                // the same kept-alive connection goes back and forth between the host and the gateway
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/about")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.body()).isEqualTo("host page for /about\n");

                HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(host.gatewayBaseUrl() + "/models"))
                        .header("Authorization", "Bearer " + host.key()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(models.statusCode()).isEqualTo(200);
                assertThat(models.body()).contains("\"id\":\"gpt-oss-120b\"");
            }
            // a path that only looks like the prefix is the host's
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/llmx/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("host page for /llmx/v1/models\n");
            // the gateway's errors under the prefix are its own
            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(host.gatewayBaseUrl() + "/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.body()).contains("\"code\":\"invalid_api_key\"");

            // the official SDK, with the mounted base URL
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(host.gatewayBaseUrl()).apiKey(host.key()).build();
            ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("gpt-oss-120b").addUserMessage("Reply with exactly: ok").maxTokens(8).build());
            assertThat(completion.choices().get(0).message().content()).hasValueSatisfying(c -> assertThat(c).isNotBlank());
        }
    }
}
