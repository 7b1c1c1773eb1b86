package ai.qubittron.bastion.core.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.catalog.Endpoint;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestRewriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "nothing to change  | CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":[{}],\"max_tokens\":5}"
                    + " | {\"model\":\"m\",\"messages\":[{}],\"max_tokens\":5}",
            "alias              | CHAT_COMPLETIONS | { \"model\" : \"org/m\" , \"messages\":[{}],\"max_tokens\":5}"
                    + " | { \"model\" : \"m\" , \"messages\":[{}],\"max_tokens\":5}",
            "add a limit        | CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":[{}]}"
                    + " | {\"max_tokens\":4096,\"model\":\"m\",\"messages\":[{}]}",
            "fill a null limit  | COMPLETIONS      | {\"model\":\"m\",\"prompt\":\"p\",\"max_tokens\":null}"
                    + " | {\"model\":\"m\",\"prompt\":\"p\",\"max_tokens\":4096}",
            "ignored limit      | CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":[{}],\"max_output_tokens\":1}"
                    + " | {\"max_tokens\":4096,\"model\":\"m\",\"messages\":[{}],\"max_output_tokens\":1}",
            "fill the null mct  | CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":[{}],\"max_completion_tokens\":null}"
                    + " | {\"model\":\"m\",\"messages\":[{}],\"max_completion_tokens\":4096}",
            "responses null     | RESPONSES        | {\"model\":\"m\",\"input\":\"p\",\"max_output_tokens\":null,\"max_tokens\":null}"
                    + " | {\"model\":\"m\",\"input\":\"p\",\"max_output_tokens\":4096,\"max_tokens\":null}",
            "responses limit    | RESPONSES        | {\"model\":\"m\",\"input\":\"p\",\"stream\":true}"
                    + " | {\"max_output_tokens\":4096,\"model\":\"m\",\"input\":\"p\",\"stream\":true}",
            "ask for usage      | CHAT_COMPLETIONS | {\"model\":\"m\",\"stream\":true,\"messages\":[{}],\"max_tokens\":5}"
                    + " | {\"stream_options\":{\"include_usage\":true},\"model\":\"m\",\"stream\":true,\"messages\":[{}],\"max_tokens\":5}",
            "usage false        | CHAT_COMPLETIONS | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":false,\"x\":1},\"messages\":[{}],\"max_tokens\":5}"
                    + " | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"x\":1},\"messages\":[{}],\"max_tokens\":5}",
            "usage null         | CHAT_COMPLETIONS | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":null},\"messages\":[{}],\"max_tokens\":5}"
                    + " | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{}],\"max_tokens\":5}",
            "empty options      | CHAT_COMPLETIONS | {\"model\":\"m\",\"stream\":true,\"stream_options\":{ },\"messages\":[{}],\"max_tokens\":5}"
                    + " | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true },\"messages\":[{}],\"max_tokens\":5}",
            "other options      | CHAT_COMPLETIONS | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"x\":[1]},\"messages\":[{}],\"max_tokens\":5}"
                    + " | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"x\":[1]},\"messages\":[{}],\"max_tokens\":5}",
            "null options       | COMPLETIONS      | {\"model\":\"m\",\"stream\":true,\"stream_options\":null,\"prompt\":\"p\",\"max_tokens\":5}"
                    + " | {\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"prompt\":\"p\",\"max_tokens\":5}",
            "all at once        | CHAT_COMPLETIONS | {\"messages\":[{\"content\":\"é🐉\"}],\"stream\":true,\"model\":\"org/m\"}"
                    + " | {\"max_tokens\":4096,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"content\":\"é🐉\"}],\"stream\":true,\"model\":\"m\"}",
    })
    void splicesOnlyWhatMustChange(String what, Endpoint endpoint, String in, String expected) throws Exception {
        byte[] bytes = in.getBytes(StandardCharsets.UTF_8);
        // split the body in two components at every position: offsets must hold however it arrived
        for (int cut = 1; cut < bytes.length; cut++) {
            CompositeByteBuf content = Unpooled.compositeBuffer();
            content.addComponent(true, Unpooled.wrappedBuffer(bytes, 0, cut));
            content.addComponent(true, Unpooled.wrappedBuffer(bytes, cut, bytes.length - cut));
            ByteBuf out = null;
            try {
                InspectedRequest request = new RequestInspector().inspect(endpoint, content);
                out = RequestRewriter.rewrite(ByteBufAllocator.DEFAULT, content, request, "m", 4096);
                String result = out.toString(StandardCharsets.UTF_8);
                assertThat(result).as("%s, cut at %d", what, cut).isEqualTo(expected);
                JSON.readTree(result);
            } finally {
                if (out != null) {
                    out.release();
                }
                content.release();
            }
        }
    }
}
