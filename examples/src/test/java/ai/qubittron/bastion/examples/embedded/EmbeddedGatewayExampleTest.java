package ai.qubittron.bastion.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EmbeddedGatewayExampleTest {

    @Test
    void theExampleGetsAChatCompletionThroughTheGateway() throws Exception {
        String body = EmbeddedGatewayExample.run();
        assertThat(body).startsWith("{\"id\":\"chatcmpl-").contains("\"object\":\"chat.completion\"")
                .contains("\"usage\":{\"prompt_tokens\":").contains("\"x_metrics\":{\"ttft_seconds\":");
    }
}
