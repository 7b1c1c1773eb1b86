package ai.qubittron.bastion.core.inspect;

import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.error.GatewayException;
import ai.qubittron.bastion.core.json.ByteBufJsonReader;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * Validates a model request body and reads the few top-level fields the gateway acts on: {@code model},
 * {@code stream}, {@code stream_options.include_usage}, the output token limits and {@code store}; checks
 * that the endpoint's required input ({@code messages}, {@code prompt} or {@code input}) is there with
 * the right type. Every other field is only tokenized (to prove the body is well-formed JSON) and left
 * for the upstream, byte for byte.
 *
 * <p>Failures are {@link GatewayException}s of kind {@link ErrorKind#INVALID_REQUEST} whose message
 * names the field, in the OpenAI API's wording.
 *
 * <p>Not thread-safe: one instance per event loop (or per request); {@link #inspect} may be called
 * again once it has returned. The body is neither retained nor released.
 */
public final class RequestInspector extends ByteBufJsonReader {

    private static final int MAX_TOKENS = 0;
    private static final int MAX_COMPLETION_TOKENS = 1;
    private static final int MAX_OUTPUT_TOKENS = 2;
    /** Content part types whose token count the body's size does not bound (images, audio). */
    private static final java.util.Set<String> MEDIA_TYPES =
            java.util.Set.of("image_url", "input_image", "input_audio", "image", "audio", "input_file", "file");

    private Endpoint endpoint;
    private boolean rootSeen;
    private String model;
    private int modelStart;
    private int modelEnd;
    private boolean stream;
    private boolean includeUsage;
    private int rootStart;
    /** Values of max_tokens, max_completion_tokens, max_output_tokens (NO_LIMIT when absent or null). */
    private final long[] limits = new long[3];
    /** Offsets of a null value of each of them, or -1. */
    private final int[] nullLimits = new int[3];
    private long choices;
    private int mediaParts;
    private int streamOptionsStart;
    private int streamOptionsMembers;
    private int includeUsageStart;
    private int includeUsageEnd;
    private Boolean store;
    private boolean inputSeen;
    private int inputElements;

    /**
     * Inspects one request body.
     *
     * @param endpoint the endpoint it was sent to, which fixes the required input field
     * @param body     the body from its reader index; not consumed, not released
     * @throws GatewayException {@link ErrorKind#INVALID_REQUEST} naming what is wrong
     */
    public InspectedRequest inspect(Endpoint endpoint, ByteBuf body) {
        this.endpoint = endpoint;
        rootSeen = false;
        model = null;
        modelStart = -1;
        modelEnd = -1;
        stream = false;
        includeUsage = false;
        rootStart = -1;
        java.util.Arrays.fill(limits, InspectedRequest.NO_LIMIT);
        java.util.Arrays.fill(nullLimits, -1);
        choices = 1;
        mediaParts = 0;
        streamOptionsStart = -1;
        streamOptionsMembers = -1;
        includeUsageStart = -1;
        includeUsageEnd = -1;
        store = null;
        inputSeen = false;
        inputElements = 0;
        if (!body.isReadable()) {
            throw invalid("The request body is empty; expected a JSON object.");
        }
        try {
            read(body);
        } catch (GatewayException e) {
            throw e;
        } catch (JsonProcessingException e) {
            // some failures (a nesting or length limit) carry no location
            throw invalid("We could not parse the JSON body of your request: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "." : " (at byte " + e.getLocation().getByteOffset() + ")."));
        } catch (IOException e) {
            throw invalid("We could not parse the JSON body of your request: " + e.getMessage() + ".");
        }
        // the limit the upstream applies: vLLM and SGLang read max_completion_tokens, else max_tokens, on chat;
        // max_tokens on completions; max_output_tokens on responses. Other limit fields pass through unread.
        int effective = switch (endpoint) {
            case CHAT_COMPLETIONS -> limits[MAX_COMPLETION_TOKENS] != InspectedRequest.NO_LIMIT ? MAX_COMPLETION_TOKENS : MAX_TOKENS;
            case COMPLETIONS -> MAX_TOKENS;
            case RESPONSES -> MAX_OUTPUT_TOKENS;
        };
        int nullLimitStart = nullLimits[effective];
        if (endpoint == Endpoint.CHAT_COMPLETIONS && limits[effective] == InspectedRequest.NO_LIMIT && nullLimitStart < 0) {
            nullLimitStart = nullLimits[MAX_COMPLETION_TOKENS];
        }
        return new InspectedRequest(endpoint, model, modelStart, modelEnd, stream, includeUsage, limits[effective], store,
                body.readableBytes(), choices, mediaParts, rootStart, nullLimitStart, streamOptionsStart, streamOptionsMembers,
                includeUsageStart, includeUsageEnd);
    }

    @Override
    protected void onToken(JsonToken token, JsonParser p) throws IOException {
        int depth = depth();
        if (depth == 0) {
            if (token != JsonToken.START_OBJECT && token != JsonToken.END_OBJECT) {
                throw invalid("The request body must be a JSON object.");
            }
            if (token == JsonToken.START_OBJECT) {
                rootStart = offset(p);
            }
            rootSeen = true;
            return;
        }
        String top = fieldAt(1);
        if (token == JsonToken.FIELD_NAME) {
            if (depth == 2 && "stream_options".equals(top) && !isArrayAt(2)) {
                streamOptionsMembers++;
            }
            return;
        }
        if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
            return;
        }
        if (depth == 1) {
            topLevelValue(top, token, p);
        } else if (depth == 2 && "stream_options".equals(top) && "include_usage".equals(fieldAt(2))) {
            includeUsage = booleanValue("stream_options.include_usage", token);
            includeUsageStart = offset(p);
            includeUsageEnd = (int) p.currentLocation().getByteOffset();
        } else if (depth >= 3 && token == JsonToken.VALUE_STRING && "type".equals(fieldAt(depth))
                && top != null && top.equals(inputField()) && MEDIA_TYPES.contains(p.getText())) {
            mediaParts++;
        } else if (depth == 2 && top != null && top.equals(inputField()) && isArrayAt(2)) {
            inputElements++;
            if (endpoint == Endpoint.CHAT_COMPLETIONS && token != JsonToken.START_OBJECT) {
                throw invalid("Invalid type for 'messages[" + (inputElements - 1) + "]': expected an object, but got "
                        + describe(token) + " instead.");
            }
        }
    }

    private void topLevelValue(String field, JsonToken token, JsonParser p) throws IOException {
        switch (field) {
            case "model" -> {
                if (token != JsonToken.VALUE_STRING) {
                    throw wrongType("model", "a string", token);
                }
                model = p.getText();
                if (model.isEmpty()) {
                    throw invalid("Invalid 'model': empty string. Expected a model id.");
                }
                modelStart = offset(p);
                modelEnd = (int) p.currentLocation().getByteOffset();
            }
            case "stream" -> stream = booleanValue("stream", token);
            case "store" -> store = token == JsonToken.VALUE_NULL ? null : booleanValue("store", token);
            case "stream_options" -> {
                if (token != JsonToken.START_OBJECT && token != JsonToken.VALUE_NULL) {
                    throw wrongType("stream_options", "an object", token);
                }
                streamOptionsStart = offset(p);
                streamOptionsMembers = token == JsonToken.START_OBJECT ? 0 : -1;
            }
            case "max_tokens" -> limit(MAX_TOKENS, field, token, p);
            case "max_completion_tokens" -> limit(MAX_COMPLETION_TOKENS, field, token, p);
            case "max_output_tokens" -> limit(MAX_OUTPUT_TOKENS, field, token, p);
            case "n", "best_of" -> {
                if (token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                    choices = Math.max(choices, p.getLongValue());
                } else if (token != JsonToken.VALUE_NULL) {
                    throw wrongType(field, "an integer", token);
                }
            }
            case "messages", "prompt", "input" -> {
                if (field.equals(inputField())) {
                    requiredInput(field, token);
                }
            }
            default -> {
                // passes through untouched
            }
        }
    }

    private void requiredInput(String field, JsonToken token) {
        boolean array = token == JsonToken.START_ARRAY;
        boolean ok = switch (endpoint) {
            case CHAT_COMPLETIONS -> array;
            case COMPLETIONS, RESPONSES -> array || token == JsonToken.VALUE_STRING;
        };
        if (!ok) {
            throw wrongType(field, endpoint == Endpoint.CHAT_COMPLETIONS ? "an array" : "a string or an array", token);
        }
        inputSeen = true;
        inputElements = array ? 0 : 1;
    }

    private void limit(int which, String field, JsonToken token, JsonParser p) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            nullLimits[which] = offset(p);
            return;
        }
        if (token != JsonToken.VALUE_NUMBER_INT) {
            throw wrongType(field, "an integer", token);
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 1) {
            throw invalid("Invalid '" + field + "': integer below minimum value. Expected a value >= 1, but got "
                    + p.getText() + " instead.");
        }
        limits[which] = p.getLongValue();
    }

    @Override
    protected void onEnd() {
        if (!rootSeen) {
            throw invalid("The request body must be a JSON object.");
        }
        if (model == null) {
            throw invalid("Missing required parameter: 'model'.");
        }
        String input = inputField();
        if (!inputSeen) {
            throw invalid("Missing required parameter: '" + input + "'.");
        }
        if (inputElements == 0 && endpoint == Endpoint.CHAT_COMPLETIONS) {
            throw invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, "
                    + "but got an empty array instead.");
        }
    }

    /** The byte offset where the current token starts (a string's at its opening quote). */
    private static int offset(JsonParser p) {
        // the non-blocking parser reports a token's location just past its first byte
        return (int) p.currentTokenLocation().getByteOffset() - 1;
    }

    private String inputField() {
        return switch (endpoint) {
            case CHAT_COMPLETIONS -> "messages";
            case COMPLETIONS -> "prompt";
            case RESPONSES -> "input";
        };
    }

    private static boolean booleanValue(String field, JsonToken token) {
        return switch (token) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE, VALUE_NULL -> false;
            default -> throw wrongType(field, "a boolean", token);
        };
    }

    private static GatewayException wrongType(String field, String expected, JsonToken got) {
        return invalid("Invalid type for '" + field + "': expected " + expected + ", but got " + describe(got)
                + " instead.");
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a decimal";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> String.valueOf(token);
        };
    }

    private static GatewayException invalid(String message) {
        return new GatewayException(ErrorKind.INVALID_REQUEST, message);
    }
}
