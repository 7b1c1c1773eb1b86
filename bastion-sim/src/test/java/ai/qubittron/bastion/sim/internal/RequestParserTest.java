package ai.qubittron.bastion.sim.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.sim.SimText;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class RequestParserTest {

    private static GenerationRequest parse(Endpoint endpoint, String json) throws BadRequestException {
        ByteBuf body = ByteBufUtil.writeUtf8(PooledByteBufAllocator.DEFAULT, json);
        try {
            GenerationRequest r = RequestParser.parse(endpoint, body);
            assertThat(body.readerIndex()).isZero();
            return r;
        } finally {
            body.release();
        }
    }

    @Test
    void chatReadsTheFieldsItNeedsAndSkipsTheRest() throws Exception {
        GenerationRequest r = parse(Endpoint.CHAT, "{\"tools\":[{\"a\":[1,{\"b\":2}]}],\"model\":\"m\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true,\"x\":1},\"max_tokens\":9,\"max_completion_tokens\":7,"
                + "\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"abcdefgh\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]}]}");

        assertThat(r.model()).isEqualTo("m");
        assertThat(r.stream()).isTrue();
        assertThat(r.includeUsage()).isTrue();
        assertThat(r.maxTokens()).isEqualTo(7);
        assertThat(r.promptKey()).isEqualTo(SimText.promptKey("sys", "abcdefgh"));
        assertThat(r.promptTokens()).isEqualTo(3 + 3 * 4 + 1 + 2);
    }

    @Test
    void completionsAcceptStringsAndTokenIds() throws Exception {
        assertThat(parse(Endpoint.COMPLETIONS, "{\"model\":\"m\",\"prompt\":\"abcdef\"}").promptTokens()).isEqualTo(2);
        GenerationRequest ids = parse(Endpoint.COMPLETIONS, "{\"model\":\"m\",\"prompt\":[[1,2,3],[4]]}");
        assertThat(ids.promptTokens()).isEqualTo(4);
        assertThat(ids.promptKey()).isEqualTo("1 2 3\n4");
        assertThat(ids.maxTokens()).isEqualTo(-1);
        assertThat(parse(Endpoint.COMPLETIONS, "{\"model\":\"m\",\"prompt\":[5,6]}").promptTokens()).isEqualTo(2);
    }

    @Test
    void responsesReadInputItemsInstructionsAndStore() throws Exception {
        GenerationRequest r = parse(Endpoint.RESPONSES, "{\"model\":\"m\",\"instructions\":\"be brief\",\"store\":true,"
                + "\"max_output_tokens\":12,\"max_tokens\":99,\"input\":[{\"role\":\"user\",\"content\":\"hello\"},"
                + "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"world\"}]}]}");

        assertThat(r.store()).isTrue();
        assertThat(r.maxTokens()).isEqualTo(12);
        assertThat(r.instructions()).isEqualTo("be brief");
        assertThat(r.promptKey()).isEqualTo("be brief\nhello\nworld");
        assertThat(r.promptTokens()).isEqualTo(SimText.chatPromptTokens("be brief", "hello", "world"));
        assertThat(parse(Endpoint.RESPONSES, "{\"model\":\"m\",\"input\":\"x\"}").store()).isFalse();
    }

    @Test
    void badBodiesAreRejected() {
        assertThatThrownBy(() -> parse(Endpoint.CHAT, "{\"model\":\"m\",\"messages\":[]")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> parse(Endpoint.CHAT, "{\"model\":\"m\"} {}")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> parse(Endpoint.CHAT, "{\"model\":1,\"messages\":[{\"content\":\"x\"}]}"))
                .hasMessageContaining("model");
        assertThatThrownBy(() -> parse(Endpoint.CHAT, "{\"model\":\"m\",\"messages\":\"x\"}")).hasMessageContaining("messages");
        assertThatThrownBy(() -> parse(Endpoint.CHAT, "{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}],\"max_tokens\":-3}"))
                .hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> parse(Endpoint.COMPLETIONS, "{\"model\":\"m\",\"prompt\":[]}")).hasMessageContaining("prompt");
        assertThatThrownBy(() -> parse(Endpoint.RESPONSES, "{\"model\":\"m\",\"input\":5}")).hasMessageContaining("input");
        assertThatThrownBy(() -> parse(Endpoint.RESPONSES, "")).isInstanceOf(BadRequestException.class);
    }
}
