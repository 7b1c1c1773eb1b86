package ai.qubittron.bastion.core.admission;

/**
 * How audio is counted in tokens, so that audio models are priced and limited like text ones
 * ({@link ai.qubittron.bastion.core.pricing.ModelPrice} is per token).
 *
 * <ul>
 *   <li>An audio second is {@value #TOKENS_PER_AUDIO_SECOND} input tokens (the rate OpenAI's audio models
 *       count input audio at: one token per 100 ms).</li>
 *   <li>A transcription is billed by the worker's usage: its token counts when it reports them
 *       ({@code usage.input_tokens}/{@code output_tokens}), else its audio duration
 *       ({@code usage.seconds}), else by the upload's size, as audio of
 *       {@value #ESTIMATE_BYTES_PER_SECOND} bytes a second (a 128 kbit/s stream).</li>
 *   <li>Its reservation assumes {@value #BOUND_BYTES_PER_SECOND} bytes a second (16 kbit/s, the lowest rate
 *       speech codecs are used at), so a reported duration is covered unless the audio was coded below
 *       that; a charge above the reservation is capped at it, never taken past the balance.</li>
 * </ul>
 *
 * Stateless; any thread.
 */
public final class AudioMetering {

    /** Input tokens per second of audio: {@value}. */
    public static final long TOKENS_PER_AUDIO_SECOND = 10;
    /** Bytes per audio second assumed to bill an upload whose worker reported no usage: {@value} (128 kbit/s). */
    public static final long ESTIMATE_BYTES_PER_SECOND = 16_000;
    /**
     * Bytes per audio second assumed to reserve for an upload: {@value} (16 kbit/s), 8 times the estimate's
     * tokens.
     */
    public static final long BOUND_BYTES_PER_SECOND = 2_000;

    private AudioMetering() {
    }

    /**
     * {@return the input tokens of {@code seconds} of audio, rounded up to a whole token} 0 for a
     * duration that is not positive (or NaN); saturates at {@link Long#MAX_VALUE}.
     *
     * @param seconds the audio's duration, as the worker reported it
     */
    public static long tokensOfSeconds(double seconds) {
        if (!(seconds > 0)) {
            return 0;
        }
        double tokens = Math.ceil(seconds * TOKENS_PER_AUDIO_SECOND);
        return tokens >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) tokens;
    }

    /**
     * {@return the input tokens billed for an upload of {@code bytes} when the worker reports no usage}
     *
     * @param bytes the upload's size (the whole multipart body); a negative one counts as 0
     */
    public static long estimatedTokens(long bytes) {
        return ceilDiv(Math.max(0, bytes), ESTIMATE_BYTES_PER_SECOND) * TOKENS_PER_AUDIO_SECOND;
    }

    /**
     * {@return the input tokens reserved for an upload of at most {@code bytes}}
     *
     * @param bytes the upload's largest possible size; a negative one counts as 0
     */
    public static long boundTokens(long bytes) {
        return ceilDiv(Math.max(0, bytes), BOUND_BYTES_PER_SECOND) * TOKENS_PER_AUDIO_SECOND;
    }

    private static long ceilDiv(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }
}
