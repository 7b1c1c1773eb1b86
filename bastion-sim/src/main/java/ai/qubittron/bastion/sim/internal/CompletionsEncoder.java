package ai.qubittron.bastion.sim.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * {@code /v1/completions} bodies ({@code object: "text_completion"}). A stream is one chunk per token
 * ({@code choices[0].text}), a chunk with empty text and the finish reason, the usage chunk
 * ({@code choices: []}) when {@code stream_options.include_usage} is true, then {@code data: [DONE]}.
 */
final class CompletionsEncoder implements ResponseEncoder {

    static final CompletionsEncoder INSTANCE = new CompletionsEncoder();

    private CompletionsEncoder() {
    }

    @Override
    public void writeBody(JsonGenerator g, Sequence s) throws IOException {
        choiceObject(g, s, s.text(), s.finishReason(), true);
    }

    @Override
    public void preamble(Sequence s, EventSink out) {
        // the legacy completions stream has no role chunk
    }

    @Override
    public void token(Sequence s, int index, String text, EventSink out) {
        out.event(null, g -> choiceObject(g, s, text, null, false));
    }

    @Override
    public void finish(Sequence s, EventSink out) {
        if (!out.event(null, g -> choiceObject(g, s, "", s.finishReason(), false))) {
            return;
        }
        if (s.request().includeUsage() && !out.event(null, g -> ChatEncoder.usageChunk(g, s, "text_completion"))) {
            return;
        }
        out.rawEvent("[DONE]");
    }

    private static void choiceObject(JsonGenerator g, Sequence s, String text, String finishReason, boolean withUsage)
            throws IOException {
        g.writeStartObject();
        ChatEncoder.header(g, s, "text_completion");
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        g.writeStringField("text", text);
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", finishReason); // null until the choice finishes
        g.writeEndObject();
        g.writeEndArray();
        if (withUsage) {
            ChatEncoder.usage(g, s);
        }
        g.writeEndObject();
    }
}
