package ai.qubittron.bastion.core.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.error.GatewayException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestInspectorTest {

    private final RequestInspector inspector = new RequestInspector();

    @Test
    void readsTheFieldsTheGatewayActsOn() {
        String body = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":16,\"x\":{\"model\":1}}";
        InspectedRequest r = inspect(Endpoint.CHAT_COMPLETIONS, body);
        assertThat(r.model()).isEqualTo("gpt-oss-120b");
        assertThat(r.stream()).isTrue();
        assertThat(r.includeUsage()).isTrue();
        assertThat(r.maxOutputTokens()).isEqualTo(16);
        assertThat(r.store()).isNull();
        assertThat(body.substring(r.modelStart(), r.modelEnd())).isEqualTo("\"gpt-oss-120b\"");
    }

    @Test
    void modelOffsetsCountAcrossBufferComponentsAndMultiByteCharacters() {
        String body = "{ \"note\" : \"héllo 🐉 wörld\",\n  \"input\": [\"a\"],  \"model\" :  \"openai/gpt-oss-120b\" ,\"store\":false}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            CompositeByteBuf composite = Unpooled.compositeBuffer();
            composite.addComponent(true, Unpooled.wrappedBuffer(bytes, 0, cut));
            composite.addComponent(true, Unpooled.wrappedBuffer(bytes, cut, bytes.length - cut));
            try {
                InspectedRequest r = inspector.inspect(Endpoint.RESPONSES, composite);
                String model = new String(bytes, r.modelStart(), r.modelEnd() - r.modelStart(), StandardCharsets.UTF_8);
                assertThat(model).as("cut at %d", cut).isEqualTo("\"openai/gpt-oss-120b\"");
                assertThat(r.store()).isFalse();
            } finally {
                composite.release();
            }
        }
    }

    @Test
    void readsTheOutputLimitTheUpstreamApplies() {
        // vLLM and SGLang: max_completion_tokens, else max_tokens, on chat
        assertThat(inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[{}],\"max_completion_tokens\":100,\"max_tokens\":50}").maxOutputTokens())
                .isEqualTo(100);
        assertThat(inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[{}],\"max_completion_tokens\":null,\"max_tokens\":50}").maxOutputTokens())
                .isEqualTo(50);
        // a field the endpoint's upstream ignores sets no limit
        assertThat(inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[{}],\"max_output_tokens\":1}").maxOutputTokens())
                .isEqualTo(InspectedRequest.NO_LIMIT);
        assertThat(inspect(Endpoint.RESPONSES, "{\"model\":\"m\",\"input\":\"x\",\"max_tokens\":1}").maxOutputTokens())
                .isEqualTo(InspectedRequest.NO_LIMIT);
        assertThat(inspect(Endpoint.RESPONSES, "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":7}").maxOutputTokens())
                .isEqualTo(7);
    }

    @Test
    void countsChoicesAndMediaParts() {
        InspectedRequest r = inspect(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"m\",\"n\":3,\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"type image_url\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}");
        assertThat(r.choices()).isEqualTo(3);
        assertThat(r.mediaParts()).isEqualTo(1);
        assertThat(inspect(Endpoint.COMPLETIONS, "{\"model\":\"m\",\"prompt\":\"p\",\"best_of\":5,\"n\":2}").choices())
                .isEqualTo(5);
    }

    @Test
    void acceptsNullsForOptionalFields() {
        InspectedRequest r = inspect(Endpoint.COMPLETIONS,
                "{\"model\":\"m\",\"prompt\":\"p\",\"stream\":null,\"max_tokens\":null,\"stream_options\":null}");
        assertThat(r.stream()).isFalse();
        assertThat(r.maxOutputTokens()).isEqualTo(InspectedRequest.NO_LIMIT);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not json                                  | {nope                                         | We could not parse the JSON body",
            "empty                                     | ''                                            | The request body is empty",
            "an array                                  | []                                            | must be a JSON object",
            "trailing content                          | {\"model\":\"m\",\"messages\":[{}]} x           | We could not parse the JSON body",
            "two documents                             | {\"model\":\"m\",\"messages\":[{}]}{}            | We could not parse the JSON body",
            "truncated                                 | {\"model\":\"m\",\"messages\":[{}]              | We could not parse the JSON body",
            "model missing                             | {\"messages\":[{}]}                            | Missing required parameter: 'model'.",
            "messages missing                          | {\"model\":\"m\"}                               | Missing required parameter: 'messages'.",
            "messages empty                            | {\"model\":\"m\",\"messages\":[]}               | Invalid 'messages': empty array",
            "message not an object                     | {\"model\":\"m\",\"messages\":[\"hi\"]}         | Invalid type for 'messages[0]': expected an object, but got a string instead.",
            "messages a string                         | {\"model\":\"m\",\"messages\":\"hi\"}           | Invalid type for 'messages': expected an array, but got a string instead.",
            "model a number                            | {\"model\":7,\"messages\":[{}]}                 | Invalid type for 'model': expected a string, but got an integer instead.",
            "model empty                               | {\"model\":\"\",\"messages\":[{}]}              | Invalid 'model': empty string",
            "stream a string                           | {\"model\":\"m\",\"messages\":[{}],\"stream\":\"yes\"} | Invalid type for 'stream': expected a boolean, but got a string instead.",
            "max_tokens zero                           | {\"model\":\"m\",\"messages\":[{}],\"max_tokens\":0} | Invalid 'max_tokens': integer below minimum value",
            "max_tokens decimal                        | {\"model\":\"m\",\"messages\":[{}],\"max_tokens\":1.5} | Invalid type for 'max_tokens': expected an integer",
            "include_usage a number                    | {\"model\":\"m\",\"messages\":[{}],\"stream_options\":{\"include_usage\":1}} | Invalid type for 'stream_options.include_usage'",
            "duplicate model                           | {\"model\":\"a\",\"model\":\"b\",\"messages\":[{}]} | Duplicate field 'model'",
    })
    void rejectsBadBodiesNamingTheProblem(String what, String body, String message) {
        assertThatThrownBy(() -> inspect(Endpoint.CHAT_COMPLETIONS, body))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void refusesADuplicateNameInAnyObjectWhateverItsEscapesAndSize() {
        assertThatThrownBy(() -> inspect(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"a\",\"mod\\u0065l\":\"b\",\"messages\":[{}]}"))
                .hasMessageContaining("Duplicate field 'model' (at byte 13)");
        assertThatThrownBy(() -> inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"role\":\"system\"}]}"))
                .hasMessageContaining("Duplicate field 'role'");
        StringBuilder many = new StringBuilder("{\"model\":\"a\",\"messages\":[{}]");
        for (int i = 0; i < 40; i++) {
            many.append(",\"f").append(i).append("\":").append(i);
        }
        assertThat(inspect(Endpoint.CHAT_COMPLETIONS, many + "}").model()).isEqualTo("a");
        assertThatThrownBy(() -> inspect(Endpoint.CHAT_COMPLETIONS, many + ",\"f3\":0}"))
                .hasMessageContaining("Duplicate field 'f3'");
        // the same name in sibling and nested objects is no duplicate
        assertThat(inspect(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"a\",\"messages\":[{\"role\":\"user\"},"
                + "{\"role\":\"user\",\"x\":{\"role\":1}}]}").model()).isEqualTo("a");
    }

    @Test
    void refusesInvalidUtf8SayingWhere() {
        byte[] body = "{\"model\":\"a\",\"messages\":[{\"content\":\"xx\"}]}".getBytes(StandardCharsets.UTF_8);
        body[37] = (byte) 0xc3; // a lead byte followed by an ASCII 'x'
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        assertThatThrownBy(() -> inspector.inspect(Endpoint.CHAT_COMPLETIONS, buf))
                .hasMessage("We could not parse the JSON body of your request: Invalid UTF-8 (at byte 37).");
    }

    @Test
    void completionsNeedAPromptAndResponsesAnInput() {
        assertThatThrownBy(() -> inspect(Endpoint.COMPLETIONS, "{\"model\":\"m\",\"messages\":[{}]}"))
                .hasMessageContaining("Missing required parameter: 'prompt'.");
        assertThatThrownBy(() -> inspect(Endpoint.RESPONSES, "{\"model\":\"m\",\"input\":5}"))
                .hasMessageContaining("Invalid type for 'input': expected a string or an array, but got an integer");
        assertThat(inspect(Endpoint.COMPLETIONS, "{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}").model()).isEqualTo("m");
    }

    private InspectedRequest inspect(Endpoint endpoint, String body) {
        ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        try {
            return inspector.inspect(endpoint, buf);
        } finally {
            buf.release();
        }
    }
}
