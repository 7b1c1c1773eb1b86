package ai.qubittron.bastion.core.metering;

import ai.qubittron.bastion.core.json.ByteBufJsonReader;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * Reads what metering needs from an upstream JSON document: a whole non-streamed response, or the data
 * of one streamed event. It finds
 * <ul>
 *   <li>the token usage: {@code usage.prompt_tokens}/{@code completion_tokens} (chat, completions),
 *       {@code usage.input_tokens}/{@code output_tokens} (a Responses body) or
 *       {@code response.usage.…} (a Responses stream event);</li>
 *   <li>whether the event carries output tokens (a non-empty {@code choices[].delta} member other than
 *       {@code role}, a non-empty {@code choices[].text}, or a Responses {@code *.delta} event);</li>
 *   <li>whether a choice finished ({@code choices[].finish_reason} not null);</li>
 *   <li>the Responses event {@code type}, and whether the document is an {@code error}.</li>
 * </ul>
 *
 * <p>Duplicate keys are not looked for: the document comes from the operator's own worker, which could
 * misreport usage as easily as repeat it, and the check cost a hash set per object on every stream event.
 *
 * <p>Not thread-safe: one instance per relay. The buffer is neither retained nor released.
 */
public final class ResponseInspector extends ByteBufJsonReader {

    public ResponseInspector() {
        super(false);
    }

    /** A token count that was not reported. */
    public static final long UNKNOWN = -1;

    private long inputTokens;
    private long outputTokens;
    private boolean tokens;
    private boolean finished;
    private boolean error;
    private int choices;
    private String type;

    /**
     * Reads one document; the results stay readable until the next call.
     *
     * @param json the document from its reader index; not consumed, not released
     * @return {@code false} when the bytes are not well-formed JSON (the results are then unreliable)
     */
    public boolean inspect(ByteBuf json) {
        inputTokens = UNKNOWN;
        outputTokens = UNKNOWN;
        tokens = false;
        finished = false;
        error = false;
        choices = 0;
        type = null;
        try {
            read(json);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    protected void onToken(JsonToken token, JsonParser p) throws IOException {
        int depth = depth();
        if (token == JsonToken.FIELD_NAME || token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY
                || depth == 0) {
            return;
        }
        String top = fieldAt(1);
        if (top == null) {
            return;
        }
        switch (top) {
            case "usage" -> {
                if (depth == 2) {
                    usage(fieldAt(2), token, p);
                }
            }
            case "response" -> {
                if (depth == 3 && "usage".equals(fieldAt(2))) {
                    usage(fieldAt(3), token, p);
                }
            }
            case "choices" -> {
                if (depth == 2 && isArrayAt(2) && token == JsonToken.START_OBJECT) {
                    choices++;
                } else if (depth >= 3 && isArrayAt(2)) {
                    choice(depth, token, p);
                }
            }
            case "type" -> {
                if (depth == 1 && token == JsonToken.VALUE_STRING) {
                    type = p.getText();
                    if (type.endsWith(".delta")) {
                        tokens = true;
                    }
                }
            }
            case "error" -> error |= depth == 1 && token == JsonToken.START_OBJECT;
            default -> {
                // not metered
            }
        }
    }

    private void choice(int depth, JsonToken token, JsonParser p) throws IOException {
        String member = fieldAt(3);
        if (depth == 3 && "finish_reason".equals(member)) {
            finished |= token != JsonToken.VALUE_NULL;
        } else if (depth == 3 && "text".equals(member)) {
            tokens |= token == JsonToken.VALUE_STRING && p.getTextLength() > 0;
        } else if (depth == 4 && "delta".equals(member) && !"role".equals(fieldAt(4))) {
            tokens |= token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT
                    || (token == JsonToken.VALUE_STRING && p.getTextLength() > 0);
        }
    }

    private void usage(String field, JsonToken token, JsonParser p) throws IOException {
        if (token != JsonToken.VALUE_NUMBER_INT || field == null) {
            return;
        }
        switch (field) {
            case "prompt_tokens", "input_tokens" -> inputTokens = p.getLongValue();
            case "completion_tokens", "output_tokens" -> outputTokens = p.getLongValue();
            default -> {
                // total_tokens and details are derived
            }
        }
    }

    /** Whether the document reported token usage (both input and output counts). */
    public boolean hasUsage() {
        return inputTokens != UNKNOWN && outputTokens != UNKNOWN;
    }

    /** Input (prompt) tokens reported, or {@link #UNKNOWN}. */
    public long inputTokens() {
        return inputTokens;
    }

    /** Output (completion) tokens reported, or {@link #UNKNOWN}. */
    public long outputTokens() {
        return outputTokens;
    }

    /** Whether the document carries generated output (a token, or a piece of a tool call). */
    public boolean carriesTokens() {
        return tokens;
    }

    /** How many elements the top-level {@code choices} array has (0 for a usage-only stream chunk). */
    public int choiceCount() {
        return choices;
    }

    /** Whether a choice finished in this document. */
    public boolean finishesChoice() {
        return finished;
    }

    /** Whether the document is an error object. */
    public boolean isError() {
        return error;
    }

    /** The Responses stream event type, or {@code null}. */
    public String type() {
        return type;
    }
}
