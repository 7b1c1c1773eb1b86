package ai.qubittron.bastion.core.metering;

import ai.qubittron.bastion.core.json.JsonScanner;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads what metering needs from an upstream JSON document: a whole non-streamed response, or the data
 * of one streamed event. It finds
 * <ul>
 *   <li>the token usage: {@code usage.prompt_tokens}/{@code completion_tokens} (chat, completions),
 *       {@code usage.input_tokens}/{@code output_tokens} (a Responses body) or
 *       {@code response.usage.…} (a Responses stream event); a transcription's audio duration
 *       ({@code usage.seconds});</li>
 *   <li>whether the event carries output tokens (a non-empty {@code choices[].delta} member other than
 *       {@code role}, a non-empty {@code choices[].text}, or a Responses {@code *.delta} event);</li>
 *   <li>whether a choice finished ({@code choices[].finish_reason} not null);</li>
 *   <li>the Responses event {@code type}, and whether the document is an {@code error}.</li>
 * </ul>
 *
 * <p>It reads with a {@link JsonScanner}, which validates the document and allocates nothing: this runs
 * once per streamed token. Member names are matched against the few above, never decoded into strings;
 * the Responses event types the gateway sees on every stream are constants.
 *
 * <p>Duplicate keys are not looked for: the document comes from the operator's own worker, which could
 * misreport usage as easily as repeat it; the last value read wins.
 *
 * <p>Not thread-safe: one instance per relay. The buffer is neither retained nor released.
 */
public final class ResponseInspector {

    /** A token count that was not reported. */
    public static final long UNKNOWN = -1;

    /** Names the inspector looks for, at any level (their meaning depends on where they are). */
    private static final int OTHER = 0;
    private static final int USAGE = 1;
    private static final int RESPONSE = 2;
    private static final int CHOICES = 3;
    private static final int TYPE = 4;
    private static final int ERROR = 5;
    private static final int PROMPT_TOKENS = 6;
    private static final int INPUT_TOKENS = 7;
    private static final int COMPLETION_TOKENS = 8;
    private static final int OUTPUT_TOKENS = 9;
    private static final int FINISH_REASON = 10;
    private static final int TEXT = 11;
    private static final int DELTA = 12;
    private static final int ROLE = 13;
    private static final int SECONDS = 14;
    private static final byte[][] NAMES = JsonScanner.ascii("", "usage", "response", "choices", "type", "error", "prompt_tokens",
            "input_tokens", "completion_tokens", "output_tokens", "finish_reason", "text", "delta", "role", "seconds");

    /** Responses stream event types seen on every stream, answered without a new string. */
    private static final String[] KNOWN_TYPES = {
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed", "response.incomplete", "response.failed",
        "response.reasoning_text.delta", "response.function_call_arguments.delta",
    };
    private static final byte[][] KNOWN_TYPE_BYTES = JsonScanner.ascii(KNOWN_TYPES);
    private static final byte[] DELTA_SUFFIX = ".delta".getBytes(StandardCharsets.US_ASCII);
    private static final int TRACKED_DEPTH = 4;

    private final JsonScanner scanner = new JsonScanner();
    /** The name of the member being read in the object at each level (1 = top), up to {@link #TRACKED_DEPTH}. */
    private final int[] fields = new int[TRACKED_DEPTH + 1];
    private long inputTokens;
    private long outputTokens;
    private double audioSeconds;
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
        audioSeconds = -1;
        tokens = false;
        finished = false;
        error = false;
        choices = 0;
        type = null;
        JsonScanner s = scanner;
        s.reset(json);
        int token;
        while ((token = s.next()) > JsonScanner.END) {
            int depth = s.depth();
            if (token == JsonScanner.FIELD_NAME) {
                if (depth <= TRACKED_DEPTH) {
                    fields[depth] = nameOf(s);
                }
                continue;
            }
            if (token == JsonScanner.END_OBJECT || token == JsonScanner.END_ARRAY) {
                continue;
            }
            boolean start = token == JsonScanner.START_OBJECT || token == JsonScanner.START_ARRAY;
            if (start && depth <= TRACKED_DEPTH) {
                fields[depth] = OTHER;
            }
            // the depth of the container the value is in (a start token's own container not counted)
            int level = start ? depth - 1 : depth;
            if (level > 0) {
                onValue(level, token);
            }
        }
        return token == JsonScanner.END;
    }

    private void onValue(int level, int token) {
        switch (fieldAt(1)) {
            case USAGE -> {
                if (level == 2) {
                    usage(fieldAt(2), token);
                }
            }
            case RESPONSE -> {
                if (level == 3 && fieldAt(2) == USAGE) {
                    usage(fieldAt(3), token);
                }
            }
            case CHOICES -> {
                if (level == 2 && scanner.isArrayAt(2) && token == JsonScanner.START_OBJECT) {
                    choices++;
                } else if (level >= 3 && scanner.isArrayAt(2)) {
                    choice(level, token);
                }
            }
            case TYPE -> {
                if (level == 1 && token == JsonScanner.STRING) {
                    type = typeOf(scanner);
                    tokens |= scanner.textEndsWith(DELTA_SUFFIX);
                }
            }
            case ERROR -> error |= level == 1 && token == JsonScanner.START_OBJECT;
            default -> {
                // not metered
            }
        }
    }

    private void choice(int level, int token) {
        int member = fieldAt(3);
        if (level == 3 && member == FINISH_REASON) {
            finished |= token != JsonScanner.NULL;
        } else if (level == 3 && member == TEXT) {
            tokens |= token == JsonScanner.STRING && !scanner.textEmpty();
        } else if (level == 4 && member == DELTA && fieldAt(4) != ROLE) {
            tokens |= token == JsonScanner.START_ARRAY || token == JsonScanner.START_OBJECT
                    || (token == JsonScanner.STRING && !scanner.textEmpty());
        }
    }

    private void usage(int field, int token) {
        if (field == SECONDS && (token == JsonScanner.NUMBER_INT || token == JsonScanner.NUMBER_FLOAT)) {
            // a transcription's {"type":"duration","seconds":…}
            audioSeconds = Math.max(0, Double.parseDouble(scanner.tokenText()));
            return;
        }
        if (token != JsonScanner.NUMBER_INT || !scanner.fitsLong()) {
            return;
        }
        switch (field) {
            case PROMPT_TOKENS, INPUT_TOKENS -> inputTokens = scanner.longValue();
            case COMPLETION_TOKENS, OUTPUT_TOKENS -> outputTokens = scanner.longValue();
            default -> {
                // total_tokens and details are derived
            }
        }
    }

    /**
     * The name of the member being read in the object at {@code level}; {@link #OTHER} when that container
     * is an array, is deeper than tracked, or is not open.
     */
    private int fieldAt(int level) {
        return level <= TRACKED_DEPTH && level <= scanner.depth() && !scanner.isArrayAt(level) ? fields[level] : OTHER;
    }

    /** The id of the current name: its index in {@link #NAMES}, {@link #OTHER} for any other. */
    private static int nameOf(JsonScanner s) {
        return Math.max(OTHER, s.textIndex(NAMES));
    }

    private static String typeOf(JsonScanner s) {
        int known = s.textIndex(KNOWN_TYPE_BYTES);
        return known >= 0 ? KNOWN_TYPES[known] : s.text();
    }

    /** {@return whether the document reported token usage (both input and output counts)} */
    public boolean hasUsage() {
        return inputTokens != UNKNOWN && outputTokens != UNKNOWN;
    }

    /** {@return whether the document reported an audio duration ({@code usage.seconds} of a transcription)} */
    public boolean hasAudioSeconds() {
        return audioSeconds >= 0;
    }

    /** {@return the audio duration reported, in seconds, or -1} */
    public double audioSeconds() {
        return audioSeconds;
    }

    /** {@return the input (prompt) tokens reported, or {@link #UNKNOWN}} */
    public long inputTokens() {
        return inputTokens;
    }

    /** {@return the output (completion) tokens reported, or {@link #UNKNOWN}} */
    public long outputTokens() {
        return outputTokens;
    }

    /** {@return whether the document carries generated output (a token, or a piece of a tool call)} */
    public boolean carriesTokens() {
        return tokens;
    }

    /** {@return how many objects the top-level {@code choices} array has (0 for a usage-only stream chunk)} */
    public int choiceCount() {
        return choices;
    }

    /** {@return whether a choice finished in this document} */
    public boolean finishesChoice() {
        return finished;
    }

    /** {@return whether the document is an error object (a top-level {@code error} object)} */
    public boolean isError() {
        return error;
    }

    /** {@return the Responses stream event type (the top-level {@code type} string), or {@code null}} */
    public String type() {
        return type;
    }
}
