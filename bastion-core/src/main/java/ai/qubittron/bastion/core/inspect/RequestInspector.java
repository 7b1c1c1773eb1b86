package ai.qubittron.bastion.core.inspect;

import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.error.GatewayException;
import ai.qubittron.bastion.core.json.JsonScanner;
import ai.qubittron.bastion.core.json.MemberNames;
import io.netty.buffer.ByteBuf;

/**
 * Validates a JSON model request body and reads the few top-level fields the gateway acts on: {@code model},
 * {@code stream}, {@code stream_options.include_usage}, the output token limits and {@code store}; checks
 * that the endpoint's required input ({@code messages}, {@code prompt} or {@code input}) is there with
 * the right type. A text-to-speech body needs a non-empty {@code input} string and may leave out
 * {@code model} ({@link InspectedRequest#model()} is then {@code null}). Every other field is only tokenized (to prove the body is well-formed JSON) and left
 * for the upstream, byte for byte.
 *
 * <p>The body is read by a {@link JsonScanner} that also checks its strings are well-formed UTF-8, and
 * a member name repeated in one object is refused ({@link MemberNames}): the gateway and the worker must
 * never read different values of one field. Nothing is allocated but the model's name and the result,
 * unless an object has more than 16 members or a name has escapes.
 *
 * <p>Failures are {@link GatewayException}s of kind {@link ErrorKind#INVALID_REQUEST} whose message
 * names the field, in the OpenAI API's wording.
 *
 * <p>Not thread-safe: one instance per event loop (or per request); {@link #inspect} may be called
 * again once it has returned. The body is neither retained nor released.
 */
public final class RequestInspector {

    private static final int MAX_TOKENS = 0;
    private static final int MAX_COMPLETION_TOKENS = 1;
    private static final int MAX_OUTPUT_TOKENS = 2;
    /** Content part types whose token count the body's size does not bound (images, audio). */
    private static final byte[][] MEDIA_TYPES = JsonScanner.ascii("image_url", "input_image", "input_audio", "image", "audio",
            "input_file", "file");

    /** The member names the inspector acts on, by id (0: any other). */
    private static final int OTHER = 0;
    private static final int MODEL = 1;
    private static final int STREAM = 2;
    private static final int STORE = 3;
    private static final int STREAM_OPTIONS = 4;
    private static final int F_MAX_TOKENS = 5;
    private static final int F_MAX_COMPLETION_TOKENS = 6;
    private static final int F_MAX_OUTPUT_TOKENS = 7;
    private static final int N = 8;
    private static final int BEST_OF = 9;
    private static final int MESSAGES = 10;
    private static final int PROMPT = 11;
    private static final int INPUT = 12;
    private static final int INCLUDE_USAGE = 13;
    private static final int TYPE = 14;
    private static final String[] NAMES = {"", "model", "stream", "store", "stream_options", "max_tokens",
        "max_completion_tokens", "max_output_tokens", "n", "best_of", "messages", "prompt", "input", "include_usage", "type"};
    private static final byte[][] NAME_BYTES = JsonScanner.ascii(NAMES);
    private static final int TRACKED_DEPTH = 8;

    private final JsonScanner scanner = new JsonScanner(true);
    private final MemberNames names = new MemberNames();
    /** The name of the member being read in the object at each level (1 = top), up to {@link #TRACKED_DEPTH}. */
    private final int[] fields = new int[TRACKED_DEPTH + 1];
    /** The body's reader index: offsets in the result are relative to it. */
    private int base;

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
     * @return what the gateway acts on, with offsets relative to the body's reader index
     * @throws GatewayException {@link ErrorKind#INVALID_REQUEST} naming what is wrong
     * @throws IllegalArgumentException for {@link Endpoint#TRANSCRIPTIONS}, whose body is multipart
     *                                  ({@link MultipartScanner})
     */
    public InspectedRequest inspect(Endpoint endpoint, ByteBuf body) {
        if (endpoint == Endpoint.TRANSCRIPTIONS) {
            throw new IllegalArgumentException("a transcription is multipart/form-data, not JSON");
        }
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
        read(body);
        onEnd();
        // the limit the upstream applies: vLLM and SGLang read max_completion_tokens, else max_tokens, on chat;
        // max_tokens on completions; max_output_tokens on responses. Other limit fields pass through unread.
        // Text to speech has no token limit.
        int effective = switch (endpoint) {
            case CHAT_COMPLETIONS -> limits[MAX_COMPLETION_TOKENS] != InspectedRequest.NO_LIMIT ? MAX_COMPLETION_TOKENS : MAX_TOKENS;
            case COMPLETIONS -> MAX_TOKENS;
            case RESPONSES -> MAX_OUTPUT_TOKENS;
            case TEXT_TO_SPEECH, TRANSCRIPTIONS -> -1;
        };
        long limit = effective < 0 ? InspectedRequest.NO_LIMIT : limits[effective];
        int nullLimitStart = effective < 0 ? -1 : nullLimits[effective];
        if (endpoint == Endpoint.CHAT_COMPLETIONS && limit == InspectedRequest.NO_LIMIT && nullLimitStart < 0) {
            nullLimitStart = nullLimits[MAX_COMPLETION_TOKENS];
        }
        return new InspectedRequest(endpoint, model, modelStart, modelEnd, stream, includeUsage, limit, store,
                body.readableBytes(), choices, mediaParts, rootStart, nullLimitStart, streamOptionsStart, streamOptionsMembers,
                includeUsageStart, includeUsageEnd);
    }

    private void read(ByteBuf body) {
        JsonScanner s = scanner;
        base = body.readerIndex();
        s.reset(body);
        names.reset();
        int token;
        while ((token = s.next()) > JsonScanner.END) {
            int depth = s.depth();
            switch (token) {
                case JsonScanner.FIELD_NAME -> {
                    if (!names.add(s, depth)) {
                        throw invalid("We could not parse the JSON body of your request: Duplicate field '" + s.text()
                                + "' (at byte " + (s.tokenStart() - base) + ").");
                    }
                    if (depth <= TRACKED_DEPTH) {
                        fields[depth] = nameOf(s);
                    }
                    if (depth == 2 && fieldAt(1) == STREAM_OPTIONS) {
                        streamOptionsMembers++;
                    }
                    continue;
                }
                case JsonScanner.END_OBJECT -> {
                    names.close(depth + 1);
                    continue;
                }
                case JsonScanner.END_ARRAY -> {
                    continue;
                }
                case JsonScanner.START_OBJECT, JsonScanner.START_ARRAY -> {
                    if (token == JsonScanner.START_OBJECT) {
                        names.open(depth);
                    }
                    if (depth <= TRACKED_DEPTH) {
                        fields[depth] = OTHER;
                    }
                    onValue(depth - 1, token);
                }
                default -> onValue(depth, token);
            }
        }
        if (token == JsonScanner.ERROR) {
            String reason = s.errorReason();
            throw invalid("We could not parse the JSON body of your request: " + Character.toUpperCase(reason.charAt(0))
                    + reason.substring(1) + " (at byte " + (s.errorOffset() - base) + ").");
        }
    }

    /** A value (a scalar, or the start of a container) in the container at {@code level} (0: the root). */
    private void onValue(int level, int token) {
        if (level == 0) {
            if (token != JsonScanner.START_OBJECT) {
                throw invalid("The request body must be a JSON object.");
            }
            rootStart = offset();
            rootSeen = true;
            return;
        }
        int top = fieldAt(1);
        if (level == 1) {
            topLevelValue(top, token);
        } else if (level == 2 && top == STREAM_OPTIONS && fieldAt(2) == INCLUDE_USAGE) {
            includeUsage = booleanValue("stream_options.include_usage", token);
            includeUsageStart = offset();
            includeUsageEnd = scanner.tokenEnd() - base;
        } else if (level >= 3 && token == JsonScanner.STRING && fieldAt(level) == TYPE && top == inputField()
                && scanner.textIndex(MEDIA_TYPES) >= 0) {
            mediaParts++;
        } else if (level == 2 && top == inputField() && scanner.isArrayAt(2)) {
            inputElements++;
            if (endpoint == Endpoint.CHAT_COMPLETIONS && token != JsonScanner.START_OBJECT) {
                throw invalid("Invalid type for 'messages[" + (inputElements - 1) + "]': expected an object, but got "
                        + describe(token) + " instead.");
            }
        }
    }

    private void topLevelValue(int field, int token) {
        switch (field) {
            case MODEL -> {
                if (token != JsonScanner.STRING) {
                    throw wrongType("model", "a string", token);
                }
                model = scanner.text();
                if (model.isEmpty()) {
                    throw invalid("Invalid 'model': empty string. Expected a model id.");
                }
                modelStart = offset();
                modelEnd = scanner.tokenEnd() - base;
            }
            case STREAM -> stream = booleanValue("stream", token);
            case STORE -> store = token == JsonScanner.NULL ? null : booleanValue("store", token);
            case STREAM_OPTIONS -> {
                if (token != JsonScanner.START_OBJECT && token != JsonScanner.NULL) {
                    throw wrongType("stream_options", "an object", token);
                }
                streamOptionsStart = offset();
                streamOptionsMembers = token == JsonScanner.START_OBJECT ? 0 : -1;
            }
            case F_MAX_TOKENS -> limit(MAX_TOKENS, "max_tokens", token);
            case F_MAX_COMPLETION_TOKENS -> limit(MAX_COMPLETION_TOKENS, "max_completion_tokens", token);
            case F_MAX_OUTPUT_TOKENS -> limit(MAX_OUTPUT_TOKENS, "max_output_tokens", token);
            case N, BEST_OF -> {
                if (token == JsonScanner.NUMBER_INT && scanner.fitsLong()) {
                    choices = Math.max(choices, scanner.longValue());
                } else if (token != JsonScanner.NULL) {
                    throw wrongType(NAMES[field], "an integer", token);
                }
            }
            case MESSAGES, PROMPT, INPUT -> {
                if (field == inputField()) {
                    requiredInput(NAMES[field], token);
                }
            }
            default -> {
                // passes through untouched
            }
        }
    }

    private void requiredInput(String field, int token) {
        boolean array = token == JsonScanner.START_ARRAY;
        boolean ok = switch (endpoint) {
            case CHAT_COMPLETIONS -> array;
            case COMPLETIONS, RESPONSES -> array || token == JsonScanner.STRING;
            case TEXT_TO_SPEECH, TRANSCRIPTIONS -> token == JsonScanner.STRING;
        };
        if (!ok) {
            throw wrongType(field, switch (endpoint) {
                case CHAT_COMPLETIONS -> "an array";
                case COMPLETIONS, RESPONSES -> "a string or an array";
                case TEXT_TO_SPEECH, TRANSCRIPTIONS -> "a string";
            }, token);
        }
        if (endpoint == Endpoint.TEXT_TO_SPEECH && scanner.textEmpty()) {
            throw invalid("Invalid 'input': empty string. Expected the text to speak.");
        }
        inputSeen = true;
        inputElements = array ? 0 : 1;
    }

    private void limit(int which, String field, int token) {
        if (token == JsonScanner.NULL) {
            nullLimits[which] = offset();
            return;
        }
        if (token != JsonScanner.NUMBER_INT) {
            throw wrongType(field, "an integer", token);
        }
        if (!scanner.fitsLong() || scanner.longValue() < 1) {
            throw invalid("Invalid '" + field + "': integer below minimum value. Expected a value >= 1, but got "
                    + scanner.tokenText() + " instead.");
        }
        limits[which] = scanner.longValue();
    }

    /**
     * The name of the member being read in the object at {@code level}; {@link #OTHER} when that container
     * is an array, deeper than tracked, or not open.
     */
    private int fieldAt(int level) {
        return level <= TRACKED_DEPTH && level <= scanner.depth() && !scanner.isArrayAt(level) ? fields[level] : OTHER;
    }

    /** The id of the current name: its index in {@link #NAMES}, {@link #OTHER} for any other. */
    private static int nameOf(JsonScanner s) {
        return Math.max(OTHER, s.textIndex(NAME_BYTES));
    }

    private void onEnd() {
        if (!rootSeen) {
            throw invalid("The request body must be a JSON object.");
        }
        if (model == null && endpoint != Endpoint.TEXT_TO_SPEECH) {
            throw invalid("Missing required parameter: 'model'.");
        }
        String input = NAMES[inputField()];
        if (!inputSeen) {
            throw invalid("Missing required parameter: '" + input + "'.");
        }
        if (inputElements == 0 && endpoint == Endpoint.CHAT_COMPLETIONS) {
            throw invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, "
                    + "but got an empty array instead.");
        }
    }

    /** The offset, from the body's reader index, where the current token starts (a string's at its opening quote). */
    private int offset() {
        return scanner.tokenStart() - base;
    }

    private int inputField() {
        return switch (endpoint) {
            case CHAT_COMPLETIONS -> MESSAGES;
            case COMPLETIONS -> PROMPT;
            case RESPONSES, TEXT_TO_SPEECH, TRANSCRIPTIONS -> INPUT;
        };
    }

    private static boolean booleanValue(String field, int token) {
        return switch (token) {
            case JsonScanner.TRUE -> true;
            case JsonScanner.FALSE, JsonScanner.NULL -> false;
            default -> throw wrongType(field, "a boolean", token);
        };
    }

    private static GatewayException wrongType(String field, String expected, int got) {
        return invalid("Invalid type for '" + field + "': expected " + expected + ", but got " + describe(got)
                + " instead.");
    }

    private static String describe(int token) {
        return switch (token) {
            case JsonScanner.START_OBJECT -> "an object";
            case JsonScanner.START_ARRAY -> "an array";
            case JsonScanner.STRING -> "a string";
            case JsonScanner.NUMBER_INT -> "an integer";
            case JsonScanner.NUMBER_FLOAT -> "a decimal";
            case JsonScanner.TRUE, JsonScanner.FALSE -> "a boolean";
            case JsonScanner.NULL -> "null";
            default -> String.valueOf(token);
        };
    }

    private static GatewayException invalid(String message) {
        return new GatewayException(ErrorKind.INVALID_REQUEST, message);
    }
}
