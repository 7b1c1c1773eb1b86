package ai.qubittron.bastion.sim.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * {@code /v1/responses} bodies, in the full OpenAI {@code Response} shape that the official SDKs parse
 * and validate. A stream carries {@code event: <type>} and {@code data: <json>} lines, each data with
 * {@code type} and {@code sequence_number} (from 0): {@code response.created},
 * {@code response.in_progress}, {@code response.output_item.added},
 * {@code response.content_part.added} (all four written with the first token), one
 * {@code response.output_text.delta} per token, {@code response.output_text.done},
 * {@code response.content_part.done}, {@code response.output_item.done} and, like vLLM, always
 * {@code response.completed} carrying the final response (its {@code status} is {@code "incomplete"}
 * with {@code incomplete_details.reason = "max_output_tokens"} when the limit cut the output). No
 * {@code [DONE]}.
 */
final class ResponsesEncoder implements ResponseEncoder {

    static final ResponsesEncoder INSTANCE = new ResponsesEncoder();

    private ResponsesEncoder() {
    }

    @Override
    public void writeBody(JsonGenerator g, Sequence s) throws IOException {
        response(g, s, true);
    }

    @Override
    public void preamble(Sequence s, EventSink out) {
        if (!out.event("response.created", g -> responseEvent(g, s, "response.created", false))) {
            return;
        }
        if (!out.event("response.in_progress", g -> responseEvent(g, s, "response.in_progress", false))) {
            return;
        }
        if (!out.event("response.output_item.added", g -> {
            start(g, s, "response.output_item.added");
            g.writeNumberField("output_index", 0);
            g.writeFieldName("item");
            message(g, s, "in_progress", null);
            g.writeEndObject();
        })) {
            return;
        }
        out.event("response.content_part.added", g -> {
            partEvent(g, s, "response.content_part.added");
            g.writeFieldName("part");
            outputText(g, "");
            g.writeEndObject();
        });
    }

    @Override
    public void token(Sequence s, int index, String text, EventSink out) {
        out.event("response.output_text.delta", g -> {
            partEvent(g, s, "response.output_text.delta");
            g.writeStringField("delta", text);
            g.writeArrayFieldStart("logprobs");
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    @Override
    public void finish(Sequence s, EventSink out) {
        if (!out.event("response.output_text.done", g -> {
            partEvent(g, s, "response.output_text.done");
            g.writeStringField("text", s.text());
            g.writeArrayFieldStart("logprobs");
            g.writeEndArray();
            g.writeEndObject();
        })) {
            return;
        }
        if (!out.event("response.content_part.done", g -> {
            partEvent(g, s, "response.content_part.done");
            g.writeFieldName("part");
            outputText(g, s.text());
            g.writeEndObject();
        })) {
            return;
        }
        if (!out.event("response.output_item.done", g -> {
            start(g, s, "response.output_item.done");
            g.writeNumberField("output_index", 0);
            g.writeFieldName("item");
            message(g, s, "completed", s.text());
            g.writeEndObject();
        })) {
            return;
        }
        out.event("response.completed", g -> responseEvent(g, s, "response.completed", true));
    }

    private static void start(JsonGenerator g, Sequence s, String type) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", type);
        g.writeNumberField("sequence_number", s.nextSequenceNumber());
    }

    private static void partEvent(JsonGenerator g, Sequence s, String type) throws IOException {
        start(g, s, type);
        g.writeStringField("item_id", s.itemId());
        g.writeNumberField("output_index", 0);
        g.writeNumberField("content_index", 0);
    }

    private static void responseEvent(JsonGenerator g, Sequence s, String type, boolean done) throws IOException {
        start(g, s, type);
        g.writeFieldName("response");
        response(g, s, done);
        g.writeEndObject();
    }

    /** The Response object; {@code done == false} gives the in-progress one (no output, no usage). */
    private static void response(JsonGenerator g, Sequence s, boolean done) throws IOException {
        GenerationRequest r = s.request();
        boolean incomplete = done && s.truncated();
        g.writeStartObject();
        g.writeStringField("id", s.id());
        g.writeStringField("object", "response");
        g.writeNumberField("created_at", s.createdSeconds());
        g.writeStringField("status", !done ? "in_progress" : incomplete ? "incomplete" : "completed");
        g.writeBooleanField("background", false);
        g.writeNullField("error");
        if (incomplete) {
            g.writeObjectFieldStart("incomplete_details");
            g.writeStringField("reason", "max_output_tokens");
            g.writeEndObject();
        } else {
            g.writeNullField("incomplete_details");
        }
        if (r.instructions() == null) {
            g.writeNullField("instructions");
        } else {
            g.writeStringField("instructions", r.instructions());
        }
        if (r.maxTokens() > 0) {
            g.writeNumberField("max_output_tokens", r.maxTokens());
        } else {
            g.writeNullField("max_output_tokens");
        }
        g.writeStringField("model", r.model());
        g.writeArrayFieldStart("output");
        if (done) {
            message(g, s, "completed", s.text());
        }
        g.writeEndArray();
        g.writeBooleanField("parallel_tool_calls", true);
        g.writeNullField("previous_response_id");
        g.writeObjectFieldStart("reasoning");
        g.writeNullField("effort");
        g.writeNullField("summary");
        g.writeEndObject();
        g.writeBooleanField("store", false);
        g.writeNumberField("temperature", 1.0);
        g.writeObjectFieldStart("text");
        g.writeObjectFieldStart("format");
        g.writeStringField("type", "text");
        g.writeEndObject();
        g.writeEndObject();
        g.writeStringField("tool_choice", "auto");
        g.writeArrayFieldStart("tools");
        g.writeEndArray();
        g.writeNumberField("top_p", 1.0);
        g.writeStringField("truncation", "disabled");
        if (done) {
            int in = r.promptTokens();
            int out = s.completionTokens();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", in);
            g.writeObjectFieldStart("input_tokens_details");
            g.writeNumberField("cached_tokens", 0);
            // required by openai-java 4.x (ResponseUsage.InputTokensDetails.cacheWriteTokens)
            g.writeNumberField("cache_write_tokens", 0);
            g.writeEndObject();
            g.writeNumberField("output_tokens", out);
            g.writeObjectFieldStart("output_tokens_details");
            g.writeNumberField("reasoning_tokens", 0);
            g.writeEndObject();
            g.writeNumberField("total_tokens", in + out);
            g.writeEndObject();
        } else {
            g.writeNullField("usage");
        }
        g.writeObjectFieldStart("metadata");
        g.writeEndObject();
        g.writeNullField("user");
        g.writeEndObject();
    }

    /** The assistant message output item; {@code text == null} gives it with no content yet. */
    private static void message(JsonGenerator g, Sequence s, String status, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "message");
        g.writeStringField("id", s.itemId());
        g.writeStringField("status", status);
        g.writeStringField("role", "assistant");
        g.writeArrayFieldStart("content");
        if (text != null) {
            outputText(g, text);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void outputText(JsonGenerator g, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "output_text");
        g.writeStringField("text", text);
        g.writeArrayFieldStart("annotations");
        g.writeEndArray();
        g.writeArrayFieldStart("logprobs");
        g.writeEndArray();
        g.writeEndObject();
    }
}
