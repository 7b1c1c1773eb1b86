package ai.qubittron.bastion.sim;

import java.util.Objects;

/**
 * Faults a {@link SimulatedWorker} injects into model requests (generation and audio), to exercise a
 * gateway's error, retry and disconnect paths.
 *
 * <ul>
 *   <li>{@link #errorRate()}: that share of model requests is answered at once with HTTP 500 and
 *       {@code {"error":{"message":"simulated failure","type":"api_error","code":"internal_error"}}}.
 *       Which requests fail is drawn from a {@link java.util.Random} seeded with the worker's seed, so
 *       the same sequence of requests fails the same way on every run; 0 and 1 draw nothing.</li>
 *   <li>{@link #closeAfterChunks()}: when {@code K >= 0}, a streamed response is cut by closing the TCP
 *       connection right after its K-th SSE event (every {@code data:} event counts, including the chat
 *       role chunk, the Responses preamble events and {@code [DONE]}), and speech right after its K-th
 *       audio chunk; a non-streamed request (a transcription among them), or a streamed one with
 *       {@code K = 0}, has its connection closed before anything is answered.</li>
 * </ul>
 * An injected fault counts in {@link SimStats#errorsInjected()}, never in
 * {@link SimStats#requestsCancelled()}.
 *
 * <p>Immutable and thread-safe; built by {@link #builder()}, whose setters validate and throw
 * {@link IllegalArgumentException} naming the field and the bad value.
 */
public final class SimFaults {

    /** Default {@link #errorRate()}: 0, no request fails. */
    public static final double DEFAULT_ERROR_RATE = 0.0;
    /** Default {@link #closeAfterChunks()}: -1, connections are never cut. */
    public static final int DEFAULT_CLOSE_AFTER_CHUNKS = -1;

    /** No fault at all. */
    public static final SimFaults NONE = new Builder().build();

    private final double errorRate;
    private final int closeAfterChunks;

    private SimFaults(Builder b) {
        this.errorRate = b.errorRate;
        this.closeAfterChunks = b.closeAfterChunks;
    }

    /** {@return a builder starting from {@link #NONE}} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from this value} */
    public Builder toBuilder() {
        return new Builder().errorRate(errorRate).closeAfterChunks(closeAfterChunks);
    }

    /**
     * {@return the share of model requests answered with HTTP 500, in [0, 1]; default {@value
     * #DEFAULT_ERROR_RATE}}
     */
    public double errorRate() {
        return errorRate;
    }

    /**
     * {@return the SSE events or audio chunks written before the connection is cut, or -1 for never;
     * default {@value #DEFAULT_CLOSE_AFTER_CHUNKS}}
     */
    public int closeAfterChunks() {
        return closeAfterChunks;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SimFaults && Double.compare(errorRate, ((SimFaults) o).errorRate) == 0
                && closeAfterChunks == ((SimFaults) o).closeAfterChunks;
    }

    @Override
    public int hashCode() {
        return Objects.hash(errorRate, closeAfterChunks);
    }

    @Override
    public String toString() {
        return "SimFaults{errorRate=" + errorRate + ", closeAfterChunks=" + closeAfterChunks + '}';
    }

    /** Builds a {@link SimFaults}; each setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private double errorRate = DEFAULT_ERROR_RATE;
        private int closeAfterChunks = DEFAULT_CLOSE_AFTER_CHUNKS;

        private Builder() {
        }

        /**
         * Share of model requests answered with HTTP 500.
         *
         * @param errorRate in [0, 1]; default {@value SimFaults#DEFAULT_ERROR_RATE}
         * @return this builder
         * @throws IllegalArgumentException when the rate is outside [0, 1]
         */
        public Builder errorRate(double errorRate) {
            if (!(errorRate >= 0.0 && errorRate <= 1.0)) {
                throw new IllegalArgumentException("errorRate must be in [0, 1], was " + errorRate);
            }
            this.errorRate = errorRate;
            return this;
        }

        /**
         * SSE events or audio chunks written before the connection is cut.
         *
         * @param closeAfterChunks {@code >= 0}, or -1 for never; default {@value
         *                         SimFaults#DEFAULT_CLOSE_AFTER_CHUNKS}
         * @return this builder
         * @throws IllegalArgumentException when the value is below -1
         */
        public Builder closeAfterChunks(int closeAfterChunks) {
            if (closeAfterChunks < -1) {
                throw new IllegalArgumentException("closeAfterChunks must be >= -1, was " + closeAfterChunks);
            }
            this.closeAfterChunks = closeAfterChunks;
            return this;
        }

        /** {@return the immutable value} */
        public SimFaults build() {
            return new SimFaults(this);
        }
    }
}
