package ai.qubittron.bastion.sim;

import java.util.Objects;

/**
 * Timing and capacity of a {@link SimulatedWorker}: how long prefill and decoding take and how many
 * sequences decode at once, modelled on a vLLM server.
 *
 * <p>Timing of one request, measured from its admission into the running batch:
 * <ul>
 *   <li>time to first token = {@link #overheadMillis()} + prompt tokens &times;
 *       {@link #prefillMicrosPerToken()} &micro;s;</li>
 *   <li>each further token after interTokenMillis &times; (1 + slowdownPerRunning &times;
 *       (running &minus; 1)), evaluated per token with the number of sequences running at that moment;</li>
 *   <li>at most {@link #maxRunning()} sequences run at once; later requests wait in FIFO order.</li>
 * </ul>
 * The audio endpoints take no running slot and are timed by the length of the audio, measured from
 * the request's arrival:
 * <ul>
 *   <li>a transcription is answered after {@link #overheadMillis()} + audio seconds &times;
 *       {@link #transcriptionMicrosPerAudioSecond()} &micro;s;</li>
 *   <li>speech is streamed in chunks of 250 ms of audio, each written once generated: the first after
 *       {@link #overheadMillis()} + its audio seconds &times; {@link #speechMicrosPerAudioSecond()}
 *       &micro;s, each next one after its own audio seconds &times; {@link #speechMicrosPerAudioSecond()}
 *       &micro;s (so 250,000 &micro;s a second streams in real time).</li>
 * </ul>
 * A delay that rounds to zero nanoseconds is not scheduled: the token or chunk is written at once.
 *
 * <p>Immutable and thread-safe. Built by {@link #builder()}, whose setters validate and throw
 * {@link IllegalArgumentException} naming the field and the bad value. It can be swapped at run time
 * with {@link SimulatedWorker#reconfigure(SimConfig)} or {@code POST /admin/config}; a new config
 * applies to the next token of every running sequence.
 */
public final class SimConfig {

    /** Default {@link #overheadMillis()}: 5 ms of fixed per-request overhead before prefill. */
    public static final int DEFAULT_OVERHEAD_MILLIS = 5;
    /** Default {@link #prefillMicrosPerToken()}: 100 &micro;s (0.1 ms) of prefill per prompt token. */
    public static final int DEFAULT_PREFILL_MICROS_PER_TOKEN = 100;
    /** Default {@link #interTokenMillis()}: 10 ms between two output tokens of a lone sequence. */
    public static final int DEFAULT_INTER_TOKEN_MILLIS = 10;
    /** Default {@link #maxRunning()}: 64 sequences decode at once. */
    public static final int DEFAULT_MAX_RUNNING = 64;
    /** Default {@link #slowdownPerRunning()}: each extra running sequence slows decoding by 1 %. */
    public static final double DEFAULT_SLOWDOWN_PER_RUNNING = 0.01;
    /** Default {@link #defaultMaxTokens()}: 64 output tokens at most when a request sets no limit. */
    public static final int DEFAULT_DEFAULT_MAX_TOKENS = 64;
    /** Default {@link #kvCacheTokens()}: a KV cache of 65,536 tokens. */
    public static final int DEFAULT_KV_CACHE_TOKENS = 65_536;
    /** Default {@link #transcriptionMicrosPerAudioSecond()}: 1,000 &micro;s (1 ms) to transcribe an audio second. */
    public static final int DEFAULT_TRANSCRIPTION_MICROS_PER_AUDIO_SECOND = 1_000;
    /** Default {@link #speechMicrosPerAudioSecond()}: 4,000 &micro;s (4 ms) to synthesise an audio second, 1 ms a chunk. */
    public static final int DEFAULT_SPEECH_MICROS_PER_AUDIO_SECOND = 4_000;

    private static final SimConfig DEFAULTS = new Builder().build();

    private final int overheadMillis;
    private final int prefillMicrosPerToken;
    private final int interTokenMillis;
    private final int maxRunning;
    private final double slowdownPerRunning;
    private final int defaultMaxTokens;
    private final int kvCacheTokens;
    private final int transcriptionMicrosPerAudioSecond;
    private final int speechMicrosPerAudioSecond;

    private SimConfig(Builder b) {
        this.overheadMillis = b.overheadMillis;
        this.prefillMicrosPerToken = b.prefillMicrosPerToken;
        this.interTokenMillis = b.interTokenMillis;
        this.maxRunning = b.maxRunning;
        this.slowdownPerRunning = b.slowdownPerRunning;
        this.defaultMaxTokens = b.defaultMaxTokens;
        this.kvCacheTokens = b.kvCacheTokens;
        this.transcriptionMicrosPerAudioSecond = b.transcriptionMicrosPerAudioSecond;
        this.speechMicrosPerAudioSecond = b.speechMicrosPerAudioSecond;
    }

    /** {@return the configuration with every default} */
    public static SimConfig defaults() {
        return DEFAULTS;
    }

    /** {@return a builder starting from the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from this configuration's values} */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * {@return the fixed time from admission to the start of prefill, in ms; default {@value
     * #DEFAULT_OVERHEAD_MILLIS}}
     */
    public int overheadMillis() {
        return overheadMillis;
    }

    /**
     * {@return the prefill time per prompt token, in &micro;s; default {@value
     * #DEFAULT_PREFILL_MICROS_PER_TOKEN}}
     */
    public int prefillMicrosPerToken() {
        return prefillMicrosPerToken;
    }

    /**
     * {@return the time between two output tokens of a lone sequence, in ms; default {@value
     * #DEFAULT_INTER_TOKEN_MILLIS}}
     */
    public int interTokenMillis() {
        return interTokenMillis;
    }

    /**
     * {@return the sequences decoding at once (beyond it requests wait FIFO); default {@value
     * #DEFAULT_MAX_RUNNING}}
     */
    public int maxRunning() {
        return maxRunning;
    }

    /**
     * {@return the relative slowdown of decoding per additional running sequence; default {@value
     * #DEFAULT_SLOWDOWN_PER_RUNNING}}
     */
    public double slowdownPerRunning() {
        return slowdownPerRunning;
    }

    /**
     * {@return the output token limit of a request that sets none; default {@value
     * #DEFAULT_DEFAULT_MAX_TOKENS}}
     */
    public int defaultMaxTokens() {
        return defaultMaxTokens;
    }

    /**
     * {@return the KV cache capacity in tokens, the denominator of {@code vllm:kv_cache_usage_perc}; default
     * {@value #DEFAULT_KV_CACHE_TOKENS}}
     */
    public int kvCacheTokens() {
        return kvCacheTokens;
    }

    /**
     * {@return the time to transcribe an audio second, in &micro;s; default
     * {@value #DEFAULT_TRANSCRIPTION_MICROS_PER_AUDIO_SECOND}}
     */
    public int transcriptionMicrosPerAudioSecond() {
        return transcriptionMicrosPerAudioSecond;
    }

    /**
     * {@return the time to synthesise an audio second of speech, in &micro;s (250,000 is real time);
     * default {@value #DEFAULT_SPEECH_MICROS_PER_AUDIO_SECOND}}
     */
    public int speechMicrosPerAudioSecond() {
        return speechMicrosPerAudioSecond;
    }

    /**
     * {@return the time to first token of a prompt, in nanoseconds, from admission into the running batch}
     *
     * @param promptTokens the prompt's tokens ({@link SimText} counts them)
     */
    public long timeToFirstTokenNanos(int promptTokens) {
        return overheadMillis * 1_000_000L + promptTokens * (long) prefillMicrosPerToken * 1_000L;
    }

    /**
     * {@return the time to the next token, in nanoseconds (rounded)}
     *
     * @param running the sequences decoding now, this one included
     */
    public long interTokenNanos(int running) {
        double factor = 1.0 + slowdownPerRunning * Math.max(0, running - 1);
        return Math.round(interTokenMillis * 1_000_000.0 * factor);
    }

    /**
     * {@return the time from arrival to the answer of a transcription, in nanoseconds}
     *
     * @param audioMillis the audio's length, in ms
     */
    public long transcriptionNanos(long audioMillis) {
        // microseconds per audio second are nanoseconds per audio millisecond
        return overheadMillis * 1_000_000L + audioMillis * transcriptionMicrosPerAudioSecond;
    }

    /**
     * {@return the time to synthesise speech, in nanoseconds (without the overhead before the first chunk)}
     *
     * @param audioMillis the speech's length, in ms
     */
    public long speechNanos(long audioMillis) {
        return audioMillis * speechMicrosPerAudioSecond;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SimConfig)) {
            return false;
        }
        SimConfig c = (SimConfig) o;
        return overheadMillis == c.overheadMillis && prefillMicrosPerToken == c.prefillMicrosPerToken
                && interTokenMillis == c.interTokenMillis && maxRunning == c.maxRunning
                && Double.compare(slowdownPerRunning, c.slowdownPerRunning) == 0
                && defaultMaxTokens == c.defaultMaxTokens && kvCacheTokens == c.kvCacheTokens
                && transcriptionMicrosPerAudioSecond == c.transcriptionMicrosPerAudioSecond
                && speechMicrosPerAudioSecond == c.speechMicrosPerAudioSecond;
    }

    @Override
    public int hashCode() {
        return Objects.hash(overheadMillis, prefillMicrosPerToken, interTokenMillis, maxRunning, slowdownPerRunning,
                defaultMaxTokens, kvCacheTokens, transcriptionMicrosPerAudioSecond, speechMicrosPerAudioSecond);
    }

    @Override
    public String toString() {
        return "SimConfig{overheadMillis=" + overheadMillis + ", prefillMicrosPerToken=" + prefillMicrosPerToken
                + ", interTokenMillis=" + interTokenMillis + ", maxRunning=" + maxRunning
                + ", slowdownPerRunning=" + slowdownPerRunning + ", defaultMaxTokens=" + defaultMaxTokens
                + ", kvCacheTokens=" + kvCacheTokens
                + ", transcriptionMicrosPerAudioSecond=" + transcriptionMicrosPerAudioSecond
                + ", speechMicrosPerAudioSecond=" + speechMicrosPerAudioSecond + '}';
    }

    /** Builds a {@link SimConfig}; each setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private int overheadMillis = DEFAULT_OVERHEAD_MILLIS;
        private int prefillMicrosPerToken = DEFAULT_PREFILL_MICROS_PER_TOKEN;
        private int interTokenMillis = DEFAULT_INTER_TOKEN_MILLIS;
        private int maxRunning = DEFAULT_MAX_RUNNING;
        private double slowdownPerRunning = DEFAULT_SLOWDOWN_PER_RUNNING;
        private int defaultMaxTokens = DEFAULT_DEFAULT_MAX_TOKENS;
        private int kvCacheTokens = DEFAULT_KV_CACHE_TOKENS;
        private int transcriptionMicrosPerAudioSecond = DEFAULT_TRANSCRIPTION_MICROS_PER_AUDIO_SECOND;
        private int speechMicrosPerAudioSecond = DEFAULT_SPEECH_MICROS_PER_AUDIO_SECOND;

        private Builder() {
        }

        private Builder(SimConfig c) {
            overheadMillis = c.overheadMillis;
            prefillMicrosPerToken = c.prefillMicrosPerToken;
            interTokenMillis = c.interTokenMillis;
            maxRunning = c.maxRunning;
            slowdownPerRunning = c.slowdownPerRunning;
            defaultMaxTokens = c.defaultMaxTokens;
            kvCacheTokens = c.kvCacheTokens;
            transcriptionMicrosPerAudioSecond = c.transcriptionMicrosPerAudioSecond;
            speechMicrosPerAudioSecond = c.speechMicrosPerAudioSecond;
        }

        /**
         * Fixed overhead in ms.
         *
         * @param overheadMillis {@code >= 0}; default {@value SimConfig#DEFAULT_OVERHEAD_MILLIS}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder overheadMillis(int overheadMillis) {
            this.overheadMillis = atLeast("overheadMillis", overheadMillis, 0);
            return this;
        }

        /**
         * Prefill time per prompt token in &micro;s.
         *
         * @param prefillMicrosPerToken {@code >= 0}; default {@value SimConfig#DEFAULT_PREFILL_MICROS_PER_TOKEN}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder prefillMicrosPerToken(int prefillMicrosPerToken) {
            this.prefillMicrosPerToken = atLeast("prefillMicrosPerToken", prefillMicrosPerToken, 0);
            return this;
        }

        /**
         * Inter-token time of a lone sequence in ms.
         *
         * @param interTokenMillis {@code >= 0}; default {@value SimConfig#DEFAULT_INTER_TOKEN_MILLIS}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder interTokenMillis(int interTokenMillis) {
            this.interTokenMillis = atLeast("interTokenMillis", interTokenMillis, 0);
            return this;
        }

        /**
         * Sequences decoding at once.
         *
         * @param maxRunning {@code >= 1}; default {@value SimConfig#DEFAULT_MAX_RUNNING}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder maxRunning(int maxRunning) {
            this.maxRunning = atLeast("maxRunning", maxRunning, 1);
            return this;
        }

        /**
         * Relative slowdown per extra running sequence.
         *
         * @param slowdownPerRunning finite and {@code >= 0}; default {@value
         *                           SimConfig#DEFAULT_SLOWDOWN_PER_RUNNING}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder slowdownPerRunning(double slowdownPerRunning) {
            if (!(slowdownPerRunning >= 0) || Double.isInfinite(slowdownPerRunning)) {
                throw new IllegalArgumentException(
                        "slowdownPerRunning must be finite and >= 0, was " + slowdownPerRunning);
            }
            this.slowdownPerRunning = slowdownPerRunning;
            return this;
        }

        /**
         * Output token limit of a request that sets none.
         *
         * @param defaultMaxTokens {@code >= 1}; default {@value SimConfig#DEFAULT_DEFAULT_MAX_TOKENS}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder defaultMaxTokens(int defaultMaxTokens) {
            this.defaultMaxTokens = atLeast("defaultMaxTokens", defaultMaxTokens, 1);
            return this;
        }

        /**
         * KV cache capacity in tokens.
         *
         * @param kvCacheTokens {@code >= 1}; default {@value SimConfig#DEFAULT_KV_CACHE_TOKENS}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder kvCacheTokens(int kvCacheTokens) {
            this.kvCacheTokens = atLeast("kvCacheTokens", kvCacheTokens, 1);
            return this;
        }

        /**
         * Time to transcribe an audio second in &micro;s.
         *
         * @param transcriptionMicrosPerAudioSecond {@code >= 0}; default {@value
         *                                          SimConfig#DEFAULT_TRANSCRIPTION_MICROS_PER_AUDIO_SECOND}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder transcriptionMicrosPerAudioSecond(int transcriptionMicrosPerAudioSecond) {
            this.transcriptionMicrosPerAudioSecond = atLeast("transcriptionMicrosPerAudioSecond",
                    transcriptionMicrosPerAudioSecond, 0);
            return this;
        }

        /**
         * Time to synthesise an audio second of speech in &micro;s.
         *
         * @param speechMicrosPerAudioSecond {@code >= 0}; default {@value
         *                                   SimConfig#DEFAULT_SPEECH_MICROS_PER_AUDIO_SECOND}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder speechMicrosPerAudioSecond(int speechMicrosPerAudioSecond) {
            this.speechMicrosPerAudioSecond = atLeast("speechMicrosPerAudioSecond", speechMicrosPerAudioSecond, 0);
            return this;
        }

        /** {@return the immutable configuration} */
        public SimConfig build() {
            return new SimConfig(this);
        }

        private static int atLeast(String field, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(field + " must be >= " + min + ", was " + value);
            }
            return value;
        }
    }
}
