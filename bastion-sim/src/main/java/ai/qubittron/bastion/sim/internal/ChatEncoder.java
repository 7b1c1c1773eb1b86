package ai.qubittron.bastion.sim.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * {@code /v1/chat/completions} bodies. A stream is, like vLLM's: a role chunk
 * ({@code delta: {"role":"assistant","content":""}}) written with the first token, one chunk per
 * token, a chunk with an empty delta and the finish reason, the usage chunk ({@code choices: []})
 * when {@code stream_options.include_usage} is true, then {@code data: [DONE]}.
 */
final class ChatEncoder implements ResponseEncoder {

    static final ChatEncoder INSTANCE = new ChatEncoder();

    private ChatEncoder() {
    }

    @Override
    public void writeBody(JsonGenerator g, Sequence s) throws IOException {
        g.writeStartObject();
        header(g, s, "chat.completion");
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        g.writeObjectFieldStart("message");
        g.writeStringField("role", "assistant");
        g.writeStringField("content", s.text());
        g.writeEndObject();
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", s.finishReason());
        g.writeEndObject();
        g.writeEndArray();
        usage(g, s);
        g.writeEndObject();
    }

    @Override
    public void preamble(Sequence s, EventSink out) {
        out.event(null, g -> chunk(g, s, "assistant", "", null));
    }

    @Override
    public void token(Sequence s, int index, String text, EventSink out) {
        out.event(null, g -> chunk(g, s, null, text, null));
    }

    @Override
    public void finish(Sequence s, EventSink out) {
        if (!out.event(null, g -> chunk(g, s, null, null, s.finishReason()))) {
            return;
        }
        if (s.request().includeUsage() && !out.event(null, g -> usageChunk(g, s, "chat.completion.chunk"))) {
            return;
        }
        out.rawEvent("[DONE]");
    }

    private static void chunk(JsonGenerator g, Sequence s, String role, String content, String finishReason)
            throws IOException {
        g.writeStartObject();
        header(g, s, "chat.completion.chunk");
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        g.writeObjectFieldStart("delta");
        if (role != null) {
            g.writeStringField("role", role);
        }
        if (content != null) {
            g.writeStringField("content", content);
        }
        g.writeEndObject();
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", finishReason); // null until the choice finishes
        g.writeEndObject();
        g.writeEndArray();
        g.writeEndObject();
    }

    static void header(JsonGenerator g, Sequence s, String object) throws IOException {
        g.writeStringField("id", s.id());
        g.writeStringField("object", object);
        g.writeNumberField("created", s.createdSeconds());
        g.writeStringField("model", s.request().model());
    }

    /** The final stream chunk of {@code stream_options.include_usage}: no choices, only usage. */
    static void usageChunk(JsonGenerator g, Sequence s, String object) throws IOException {
        g.writeStartObject();
        header(g, s, object);
        g.writeArrayFieldStart("choices");
        g.writeEndArray();
        usage(g, s);
        g.writeEndObject();
    }

    static void usage(JsonGenerator g, Sequence s) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", s.request().promptTokens());
        g.writeNumberField("completion_tokens", s.completionTokens());
        g.writeNumberField("total_tokens", s.request().promptTokens() + s.completionTokens());
        g.writeEndObject();
    }
}
