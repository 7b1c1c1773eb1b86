package ai.qubittron.bastion.core.scheduler;

import java.time.Duration;
import java.util.Objects;

/**
 * The immutable settings of a {@link Scheduler}, built by {@link #builder()}. Every setter validates and
 * throws {@link IllegalArgumentException} naming the field and the bad value. Each default is a
 * {@code DEFAULT_} constant below. Immutable and thread-safe.
 */
public final class SchedulerConfig {

    /** Consecutive failures that open a worker's circuit: {@value}. */
    public static final int DEFAULT_FAILURE_THRESHOLD = 3;
    /** Backoff after the circuit first opens: 1 s; it doubles after each failed probe. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
    /** Ceiling of the circuit backoff: 30 s. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);
    /** Time constant of the latency estimates (the TTFT peak-EWMA's decay, the ITL average's memory): 10 s. */
    public static final Duration DEFAULT_EWMA_TIME_CONSTANT = Duration.ofSeconds(10);
    /** Share of one inter-token latency that each decoding stream adds to a new request's TTFT: {@value}. */
    public static final double DEFAULT_DECODE_CONTENTION = 0.5;
    /** Fixed per-request overhead of a TTFT, expressed in prompt tokens: {@value}. */
    public static final long DEFAULT_OVERHEAD_TOKENS = 256;
    /** First-token samples over which a new worker's cost inflation falls to none: {@value}. */
    public static final int DEFAULT_RAMP_UP_SAMPLES = 8;
    /** Cost multiplier of a worker that has no first-token sample yet: {@value}. */
    public static final double DEFAULT_RAMP_UP_FACTOR = 2.0;
    /** TTFT per prompt token of the first worker of a model, which has no peers: {@value} s (2,000 tokens/s). */
    public static final double DEFAULT_TTFT_PER_TOKEN_SECONDS = 0.0005;
    /** Requests one worker may have in flight through the gateway; above, it takes no pick: {@value}. */
    public static final int DEFAULT_MAX_IN_FLIGHT_PER_WORKER = 512;
    /** Inter-token latency of the first worker of a model, which has no peers: {@value} s. */
    public static final double DEFAULT_ITL_SECONDS = 0.03;

    private final int failureThreshold;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    private final long ewmaTimeConstantNanos;
    private final double decodeContention;
    private final long overheadTokens;
    private final int rampUpSamples;
    private final double rampUpFactor;
    private final double defaultTtftPerTokenSeconds;
    private final double defaultItlSeconds;
    private final int maxInFlightPerWorker;

    private SchedulerConfig(Builder b) {
        if (b.maxBackoffNanos < b.initialBackoffNanos) {
            throw new IllegalArgumentException("maxBackoff: " + Duration.ofNanos(b.maxBackoffNanos)
                    + " (expected >= initialBackoff " + Duration.ofNanos(b.initialBackoffNanos) + ")");
        }
        this.failureThreshold = b.failureThreshold;
        this.initialBackoffNanos = b.initialBackoffNanos;
        this.maxBackoffNanos = b.maxBackoffNanos;
        this.ewmaTimeConstantNanos = b.ewmaTimeConstantNanos;
        this.decodeContention = b.decodeContention;
        this.overheadTokens = b.overheadTokens;
        this.rampUpSamples = b.rampUpSamples;
        this.rampUpFactor = b.rampUpFactor;
        this.defaultTtftPerTokenSeconds = b.defaultTtftPerTokenSeconds;
        this.defaultItlSeconds = b.defaultItlSeconds;
        this.maxInFlightPerWorker = b.maxInFlightPerWorker;
    }

    /** {@return a config with every default} */
    public static SchedulerConfig defaults() {
        return builder().build();
    }

    /** {@return a builder starting from the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the consecutive failures that open a worker's circuit; default {@value
     * #DEFAULT_FAILURE_THRESHOLD}}
     */
    public int failureThreshold() {
        return failureThreshold;
    }

    /**
     * {@return the backoff after a circuit first opens, in nanoseconds; default {@link
     * #DEFAULT_INITIAL_BACKOFF}}
     */
    public long initialBackoffNanos() {
        return initialBackoffNanos;
    }

    /** {@return the ceiling of the circuit backoff, in nanoseconds; default {@link #DEFAULT_MAX_BACKOFF}} */
    public long maxBackoffNanos() {
        return maxBackoffNanos;
    }

    /**
     * {@return the time constant of the latency estimates, in nanoseconds; default {@link
     * #DEFAULT_EWMA_TIME_CONSTANT}}
     */
    public long ewmaTimeConstantNanos() {
        return ewmaTimeConstantNanos;
    }

    /**
     * {@return the share of one inter-token latency each decoding stream adds to a TTFT; default {@value
     * #DEFAULT_DECODE_CONTENTION}}
     */
    public double decodeContention() {
        return decodeContention;
    }

    /**
     * {@return the fixed per-request TTFT overhead, in prompt tokens; default {@value
     * #DEFAULT_OVERHEAD_TOKENS}}
     */
    public long overheadTokens() {
        return overheadTokens;
    }

    /**
     * {@return the first-token samples over which a new worker's cost inflation falls to none (0: no
     * ramp-up); default {@value #DEFAULT_RAMP_UP_SAMPLES}}
     */
    public int rampUpSamples() {
        return rampUpSamples;
    }

    /**
     * {@return the cost multiplier of a new worker with no sample yet; default {@value
     * #DEFAULT_RAMP_UP_FACTOR}}
     */
    public double rampUpFactor() {
        return rampUpFactor;
    }

    /**
     * {@return the TTFT estimate, seconds per prompt token, of a model's first worker; default {@value
     * #DEFAULT_TTFT_PER_TOKEN_SECONDS}}
     */
    public double defaultTtftPerTokenSeconds() {
        return defaultTtftPerTokenSeconds;
    }

    /**
     * {@return the inter-token latency estimate, seconds, of a model's first worker; default {@value
     * #DEFAULT_ITL_SECONDS}}
     */
    public double defaultItlSeconds() {
        return defaultItlSeconds;
    }

    /** {@return the most leases one worker holds at once; default {@value #DEFAULT_MAX_IN_FLIGHT_PER_WORKER}} */
    public int maxInFlightPerWorker() {
        return maxInFlightPerWorker;
    }

    /** Backoff after the circuit has opened {@code level + 1} times in a row: initial × 2^level, capped. */
    long backoffNanos(int level) {
        int shift = Math.min(level, 40);
        long b = initialBackoffNanos << shift;
        return (b <= 0 || b >>> shift != initialBackoffNanos) ? maxBackoffNanos : Math.min(b, maxBackoffNanos);
    }

    /** Builds a {@link SchedulerConfig}; starts from the defaults. Not thread-safe. */
    public static final class Builder {
        private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
        private long initialBackoffNanos = DEFAULT_INITIAL_BACKOFF.toNanos();
        private long maxBackoffNanos = DEFAULT_MAX_BACKOFF.toNanos();
        private long ewmaTimeConstantNanos = DEFAULT_EWMA_TIME_CONSTANT.toNanos();
        private double decodeContention = DEFAULT_DECODE_CONTENTION;
        private long overheadTokens = DEFAULT_OVERHEAD_TOKENS;
        private int rampUpSamples = DEFAULT_RAMP_UP_SAMPLES;
        private double rampUpFactor = DEFAULT_RAMP_UP_FACTOR;
        private double defaultTtftPerTokenSeconds = DEFAULT_TTFT_PER_TOKEN_SECONDS;
        private double defaultItlSeconds = DEFAULT_ITL_SECONDS;
        private int maxInFlightPerWorker = DEFAULT_MAX_IN_FLIGHT_PER_WORKER;

        private Builder() {
        }

        /**
         * Consecutive failures that open a worker's circuit.
         *
         * @param value {@code > 0}; default {@value #DEFAULT_FAILURE_THRESHOLD}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder failureThreshold(int value) {
            failureThreshold = positive("failureThreshold", value);
            return this;
        }

        /**
         * Backoff after a circuit first opens; it doubles after each failed probe.
         *
         * @param value positive; default {@link #DEFAULT_INITIAL_BACKOFF}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder initialBackoff(Duration value) {
            initialBackoffNanos = positive("initialBackoff", value);
            return this;
        }

        /**
         * Ceiling of the circuit backoff; {@link #build()} checks it is at least the initial backoff.
         *
         * @param value positive; default {@link #DEFAULT_MAX_BACKOFF}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder maxBackoff(Duration value) {
            maxBackoffNanos = positive("maxBackoff", value);
            return this;
        }

        /**
         * Time constant of the latency estimates: the TTFT peak-EWMA's decay and the ITL average's memory.
         *
         * @param value positive; default {@link #DEFAULT_EWMA_TIME_CONSTANT}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder ewmaTimeConstant(Duration value) {
            ewmaTimeConstantNanos = positive("ewmaTimeConstant", value);
            return this;
        }

        /**
         * Share of one inter-token latency that each decoding stream adds to a new request's TTFT.
         *
         * @param value finite, {@code >= 0}; default {@value #DEFAULT_DECODE_CONTENTION}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder decodeContention(double value) {
            decodeContention = nonNegative("decodeContention", value);
            return this;
        }

        /**
         * Fixed per-request overhead of a TTFT, in prompt tokens.
         *
         * @param value {@code >= 0}; default {@value #DEFAULT_OVERHEAD_TOKENS}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder overheadTokens(long value) {
            if (value < 0) {
                throw new IllegalArgumentException("overheadTokens: " + value + " (expected >= 0)");
            }
            overheadTokens = value;
            return this;
        }

        /**
         * First-token samples over which a new worker's cost inflation falls to none; 0 turns the ramp-up off.
         *
         * @param value {@code >= 0}; default {@value #DEFAULT_RAMP_UP_SAMPLES}
         * @return this builder
         * @throws IllegalArgumentException when the value is negative
         */
        public Builder rampUpSamples(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("rampUpSamples: " + value + " (expected >= 0)");
            }
            rampUpSamples = value;
            return this;
        }

        /**
         * Cost multiplier of a worker that has no first-token sample yet.
         *
         * @param value finite, {@code >= 1}; default {@value #DEFAULT_RAMP_UP_FACTOR}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder rampUpFactor(double value) {
            if (!(value >= 1.0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException("rampUpFactor: " + value + " (expected finite >= 1)");
            }
            rampUpFactor = value;
            return this;
        }

        /**
         * TTFT estimate, seconds per prompt token, of a model's first worker (which has no peers).
         *
         * @param value finite, {@code >= 0}; default {@value #DEFAULT_TTFT_PER_TOKEN_SECONDS}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder defaultTtftPerTokenSeconds(double value) {
            defaultTtftPerTokenSeconds = nonNegative("defaultTtftPerTokenSeconds", value);
            return this;
        }

        /**
         * Inter-token latency estimate, seconds, of a model's first worker (which has no peers).
         *
         * @param value finite, {@code >= 0}; default {@value #DEFAULT_ITL_SECONDS}
         * @return this builder
         * @throws IllegalArgumentException when the value is out of range
         */
        public Builder defaultItlSeconds(double value) {
            defaultItlSeconds = nonNegative("defaultItlSeconds", value);
            return this;
        }

        /**
         * The cap on one worker's requests in flight; it also bounds the connections to it.
         *
         * @param value {@code > 0}; default {@value #DEFAULT_MAX_IN_FLIGHT_PER_WORKER}
         * @return this builder
         * @throws IllegalArgumentException when the value is not positive
         */
        public Builder maxInFlightPerWorker(int value) {
            maxInFlightPerWorker = positive("maxInFlightPerWorker", value);
            return this;
        }

        /**
         * {@return the immutable config}
         *
         * @throws IllegalArgumentException when the maximum backoff is below the initial one
         */
        public SchedulerConfig build() {
            return new SchedulerConfig(this);
        }

        private static int positive(String field, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(field + ": " + value + " (expected > 0)");
            }
            return value;
        }

        private static long positive(String field, Duration value) {
            Objects.requireNonNull(value, field);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(field + ": " + value + " (expected > 0)");
            }
            try {
                return value.toNanos();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(field + ": " + value + " (expected at most about 292 years)", e);
            }
        }

        private static double nonNegative(String field, double value) {
            if (!(value >= 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException(field + ": " + value + " (expected finite >= 0)");
            }
            return value;
        }
    }
}
