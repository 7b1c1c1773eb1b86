package ai.qubittron.bastion.sim;

import java.util.List;

/**
 * The deterministic "model" of a {@link SimulatedWorker}: its tokenizer approximation and the text it
 * generates, exposed so tests can compute exactly what the worker answers.
 *
 * <h2>Prompt key</h2>
 * Generation depends only on the worker's seed and a <em>prompt key</em>: every text piece of the
 * request, in request order, joined with {@code "\n"} ({@link #promptKey(List)}). The pieces are:
 * <ul>
 *   <li>chat: each message's {@code content}, a string being one piece and an array of parts giving one
 *       piece per part that has a {@code text} (roles and names are not part of the key);</li>
 *   <li>completions: {@code prompt} as one piece, or one piece per element of a {@code prompt} array
 *       (an element that is an array of token ids gives its ids joined with a space);</li>
 *   <li>responses: {@code instructions} first when present, then {@code input} as one piece, or, for an
 *       item array, each item's {@code content} string or the {@code text} of each of its parts.</li>
 * </ul>
 *
 * <h2>Prompt tokens</h2>
 * Each non-empty piece counts {@code ceil(utf8Bytes / 4)} tokens, at least 1 ({@link #countTokens}); an
 * empty piece counts 0. Chat adds {@value #TOKENS_PER_MESSAGE} tokens per message (role framing) and
 * {@value #REPLY_PRIMING_TOKENS} for the assistant reply priming ({@link #chatPromptTokens}); responses
 * count like chat, the {@code instructions} and a string {@code input} each being one message and every
 * input item one message; completions add nothing. A completions prompt given as token ids counts one
 * token per id.
 *
 * <h2>Output</h2>
 * With {@code h = mix(seed ^ fnv1a64(promptKey))}, where {@code fnv1a64} is 64-bit FNV-1a over the
 * key's UTF-16 code units (each code unit XORed in whole) and {@code mix} is the SplitMix64 finaliser:
 * <ul>
 *   <li>the natural length is {@code 8 + floorMod(mix(h ^ 0x5DEECE66DL), 41)}, in
 *       [{@value #MIN_NATURAL_TOKENS}, {@value #MAX_NATURAL_TOKENS}] ({@link #naturalTokens});</li>
 *   <li>token {@code i} (from 0) is the word {@code VOCABULARY[floorMod(mix(h + (i + 1) *
 *       0x9E3779B97F4A7C15L), VOCABULARY.size())]}, preceded by a space unless {@code i == 0}
 *       ({@link #token}), words being lowercase ASCII from {@link #VOCABULARY};</li>
 *   <li>a request limited to {@code max} tokens produces {@code min(natural, max)} tokens
 *       ({@link #outputTokens}), finishing with {@code "stop"} when the natural length was reached and
 *       {@code "length"} when the limit cut it; its text is {@link #completion completion(seed, key, n)}.</li>
 * </ul>
 * A streamed response carries token {@code i} as the i-th content delta, so the deltas concatenate to
 * the same text.
 *
 * <h2>Audio</h2>
 * <ul>
 *   <li>A transcription's audio lasts, in whole milliseconds rounded up: a RIFF/WAVE file's {@code data}
 *       chunk size over the byte rate of its {@code fmt } chunk, else the file's size at 16,000 bytes a
 *       second (128 kbit/s). Its transcript is {@link #transcript transcript(seed, audioMillis)}: the
 *       text of {@link #transcriptWords} tokens for the prompt key {@link #transcriptKey}, one word per
 *       {@value #AUDIO_MILLIS_PER_WORD} ms of audio (2.5 an audio second), at least 1 and at most
 *       {@value #MAX_TRANSCRIPT_WORDS}; its usage is {@link #usageSeconds} whole seconds.</li>
 *   <li>Speech lasts {@value #SPEECH_MILLIS_PER_CHARACTER} ms per code point of the input, at least
 *       {@value #MIN_SPEECH_MILLIS} ms ({@link #speechMillis}), 16-bit mono PCM at
 *       {@value #SPEECH_SAMPLE_RATE} Hz, so {@link #speechSamples} samples.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class SimText {

    /** Shortest natural output, in tokens. */
    public static final int MIN_NATURAL_TOKENS = 8;
    /** Longest natural output, in tokens. */
    public static final int MAX_NATURAL_TOKENS = 48;
    /** Prompt tokens added per chat message (role framing). */
    public static final int TOKENS_PER_MESSAGE = 4;
    /** Prompt tokens added once per chat request (assistant reply priming). */
    public static final int REPLY_PRIMING_TOKENS = 3;

    /** The words tokens are drawn from, in index order. */
    public static final List<String> VOCABULARY = List.of(
            "the", "of", "and", "to", "in", "is", "that", "for",
            "it", "as", "with", "on", "this", "by", "are", "from",
            "at", "be", "an", "or", "which", "was", "can", "all",
            "model", "token", "gateway", "worker", "stream", "latency", "request", "answer",
            "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "river",
            "green", "light", "signal", "noise", "graph", "vector", "kernel", "cache",
            "north", "south", "east", "west", "early", "later", "always", "never",
            "small", "large", "fast", "slow", "bright", "quiet", "simple", "clear");

    /** Audio per transcript word, in ms: 2.5 words an audio second. */
    public static final int AUDIO_MILLIS_PER_WORD = 400;
    /** Most words in one transcript. */
    public static final int MAX_TRANSCRIPT_WORDS = 4_096;
    /** Sample rate of the speech the worker synthesises, in Hz. */
    public static final int SPEECH_SAMPLE_RATE = 24_000;
    /** Speech per input code point, in ms. */
    public static final int SPEECH_MILLIS_PER_CHARACTER = 60;
    /** Shortest speech, in ms. */
    public static final int MIN_SPEECH_MILLIS = 200;

    private static final String[] WORDS = VOCABULARY.toArray(new String[0]);
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long LENGTH_SALT = 0x5DEECE66DL;

    private SimText() {
    }

    /**
     * {@return the prompt key of these text pieces: joined with {@code "\n"}}
     *
     * @param pieces the request's text pieces, in request order (see the class comment)
     */
    public static String promptKey(List<String> pieces) {
        return String.join("\n", pieces);
    }

    /**
     * {@return the prompt key of these text pieces: joined with {@code "\n"}}
     *
     * @param pieces the request's text pieces, in request order
     */
    public static String promptKey(String... pieces) {
        return String.join("\n", pieces);
    }

    /**
     * {@return the tokens of one text piece: {@code ceil(utf8Bytes / 4)}, at least 1 when not empty, 0 when empty}
     *
     * @param piece one text piece
     */
    public static int countTokens(CharSequence piece) {
        int bytes = utf8Length(piece);
        return bytes == 0 ? 0 : (bytes + 3) / 4;
    }

    /**
     * Prompt tokens of a chat request whose messages each have one string content: the pieces' tokens,
     * plus {@value #TOKENS_PER_MESSAGE} per message, plus {@value #REPLY_PRIMING_TOKENS}.
     *
     * @param messageContents each message's content string
     * @return the prompt tokens the worker reports
     */
    public static int chatPromptTokens(String... messageContents) {
        int tokens = REPLY_PRIMING_TOKENS;
        for (String content : messageContents) {
            tokens += TOKENS_PER_MESSAGE + countTokens(content);
        }
        return tokens;
    }

    /**
     * {@return the natural output length for this prompt, in [{@value #MIN_NATURAL_TOKENS}, {@value
     * #MAX_NATURAL_TOKENS}] tokens}
     *
     * @param seed      the worker's seed
     * @param promptKey the request's prompt key
     */
    public static int naturalTokens(long seed, String promptKey) {
        long h = promptHash(seed, promptKey);
        return MIN_NATURAL_TOKENS + (int) Math.floorMod(mix(h ^ LENGTH_SALT), MAX_NATURAL_TOKENS - MIN_NATURAL_TOKENS + 1L);
    }

    /**
     * {@return the output tokens of a request limited to {@code maxTokens}: {@code min(natural, maxTokens)}}
     *
     * @param seed      the worker's seed
     * @param promptKey the request's prompt key
     * @param maxTokens the request's output limit (the config's default when it sets none)
     */
    public static int outputTokens(long seed, String promptKey, int maxTokens) {
        return Math.min(naturalTokens(seed, promptKey), maxTokens);
    }

    /**
     * {@return the finish reason of a request limited to {@code maxTokens}: {@code "stop"} or {@code "length"}}
     *
     * @param seed      the worker's seed
     * @param promptKey the request's prompt key
     * @param maxTokens the request's output limit
     */
    public static String finishReason(long seed, String promptKey, int maxTokens) {
        return naturalTokens(seed, promptKey) <= maxTokens ? "stop" : "length";
    }

    /**
     * {@return token {@code index}: a vocabulary word, with a leading space unless it is the first}
     *
     * @param seed      the worker's seed
     * @param promptKey the request's prompt key
     * @param index     the token's place in the output, from 0
     */
    public static String token(long seed, String promptKey, int index) {
        return tokenOf(promptHash(seed, promptKey), index);
    }

    /**
     * {@return the first {@code tokens} tokens concatenated: the exact text of an answer of that many tokens}
     *
     * @param seed      the worker's seed
     * @param promptKey the request's prompt key
     * @param tokens    how many tokens
     */
    public static String completion(long seed, String promptKey, int tokens) {
        long h = promptHash(seed, promptKey);
        StringBuilder sb = new StringBuilder(tokens * 7);
        for (int i = 0; i < tokens; i++) {
            sb.append(tokenOf(h, i));
        }
        return sb.toString();
    }

    /**
     * {@return the exact answer text to a request limited to {@code maxTokens} output tokens}
     *
     * @param seed      the worker's seed
     * @param promptKey the request's prompt key
     * @param maxTokens the request's output limit
     */
    public static String expectedText(long seed, String promptKey, int maxTokens) {
        return completion(seed, promptKey, outputTokens(seed, promptKey, maxTokens));
    }

    /**
     * {@return the prompt key a transcript is generated from: {@code "audio <ms> ms"}}
     *
     * @param audioMillis the audio's length, in ms
     */
    public static String transcriptKey(long audioMillis) {
        return "audio " + audioMillis + " ms";
    }

    /**
     * {@return the words of the transcript: one per 400 ms, rounded up, in [1, 4096]}
     *
     * @param audioMillis the audio's length, in ms
     */
    public static int transcriptWords(long audioMillis) {
        long words = (Math.max(0, audioMillis) + AUDIO_MILLIS_PER_WORD - 1) / AUDIO_MILLIS_PER_WORD;
        return (int) Math.max(1, Math.min(MAX_TRANSCRIPT_WORDS, words));
    }

    /**
     * {@return the exact transcript of {@code audioMillis} ms of audio}
     *
     * @param seed        the worker's seed
     * @param audioMillis the audio's length, in ms (as the class comment measures it)
     */
    public static String transcript(long seed, long audioMillis) {
        return completion(seed, transcriptKey(audioMillis), transcriptWords(audioMillis));
    }

    /**
     * {@return the {@code usage.seconds} of a transcription: whole seconds rounded up, at least 1}
     *
     * @param audioMillis the audio's length, in ms
     */
    public static long usageSeconds(long audioMillis) {
        return Math.max(1, (audioMillis + 999) / 1000);
    }

    /**
     * {@return the length of the speech of {@code input}, in ms: 60 per code point, at least 200}
     *
     * @param input the request's text
     */
    public static int speechMillis(String input) {
        long millis = (long) input.codePointCount(0, input.length()) * SPEECH_MILLIS_PER_CHARACTER;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_SPEECH_MILLIS, millis));
    }

    /**
     * {@return the samples of the speech of {@code input} (two bytes each): {@link #speechMillis} at 24 kHz}
     *
     * @param input the request's text
     */
    public static long speechSamples(String input) {
        return (long) speechMillis(input) * SPEECH_SAMPLE_RATE / 1000;
    }

    /**
     * {@return {@code mix(seed ^ fnv1a64(promptKey))}: the per-prompt hash the other helpers derive from}
     *
     * @param seed      the worker's seed
     * @param promptKey the request's prompt key
     */
    public static long promptHash(long seed, String promptKey) {
        long h = FNV_OFFSET;
        for (int i = 0; i < promptKey.length(); i++) {
            h ^= promptKey.charAt(i);
            h *= FNV_PRIME;
        }
        return mix(seed ^ h);
    }

    /**
     * {@return token {@code index} of the prompt whose {@link #promptHash} is {@code hash}}
     *
     * @param hash  a {@link #promptHash}
     * @param index the token's place in the output, from 0
     */
    public static String tokenOf(long hash, int index) {
        String word = WORDS[(int) Math.floorMod(mix(hash + (index + 1L) * GOLDEN), (long) WORDS.length)];
        return index == 0 ? word : " " + word;
    }

    /** The SplitMix64 finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int utf8Length(CharSequence s) {
        int bytes = 0;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
