package ai.qubittron.bastion.core.metering;

/**
 * The clock and token counts of one relayed request, from which {@code x_metrics} is computed:
 * <ul>
 *   <li>{@code ttft_seconds}: from the moment the gateway had the whole request to the first output
 *       token it relayed (for a non-streamed response, the gateway cannot see tokens, so to the first
 *       byte of the upstream's response);</li>
 *   <li>{@code tps}: output tokens per second of generation: output tokens / (total − ttft) for a
 *       stream, output tokens / total for a non-streamed response;</li>
 *   <li>{@code total_time_seconds}: from the whole request to the end of the upstream's response.</li>
 * </ul>
 * Output tokens are the upstream's reported usage, or, when it reported none, the count of relayed
 * events that carried tokens.
 *
 * <p>Not thread-safe: used by the one event loop that relays the request. Times are
 * {@link System#nanoTime()} readings; a reading of exactly 0 means "not yet".
 */
public final class RelayMeter {

    private final long startNanos;
    private long firstTokenNanos;
    private long endNanos;
    private long inputTokens = ResponseInspector.UNKNOWN;
    private long outputTokens = ResponseInspector.UNKNOWN;
    private long tokenEvents;

    /**
     * A meter whose clock starts now.
     *
     * @param startNanos when the gateway had received the whole request
     */
    public RelayMeter(long startNanos) {
        this.startNanos = startNanos;
    }

    /**
     * Records an upstream event that carried output; the first one fixes the TTFT.
     *
     * @param nowNanos when it was relayed
     */
    public void tokenEvent(long nowNanos) {
        if (tokenEvents++ == 0) {
            firstTokenNanos = nowNanos;
        }
    }

    /**
     * Records the first byte of a non-streamed response as the time to first token, unless a token
     * event came first.
     *
     * @param nowNanos when it arrived
     */
    public void firstByte(long nowNanos) {
        if (firstTokenNanos == 0) {
            firstTokenNanos = nowNanos;
        }
    }

    /**
     * Records the upstream's reported usage (a negative count, which no sane server sends, counts as 0).
     *
     * @param inputTokens  the prompt tokens reported
     * @param outputTokens the output tokens reported
     */
    public void usage(long inputTokens, long outputTokens) {
        this.inputTokens = Math.max(0, inputTokens);
        this.outputTokens = Math.max(0, outputTokens);
    }

    /**
     * Forgets what a failed upstream answered before the request was sent to another worker; the
     * request's start stays, so the client's times include the failed attempt.
     */
    public void restartResponse() {
        firstTokenNanos = 0;
        endNanos = 0;
        inputTokens = ResponseInspector.UNKNOWN;
        outputTokens = ResponseInspector.UNKNOWN;
        tokenEvents = 0;
    }

    /**
     * Records the end of the upstream's response; later calls keep the first.
     *
     * @param nowNanos when its last byte arrived
     */
    public void end(long nowNanos) {
        if (endNanos == 0) {
            endNanos = nowNanos;
        }
    }

    /** {@return whether the upstream reported usage} */
    public boolean hasUsage() {
        return outputTokens != ResponseInspector.UNKNOWN;
    }

    /** {@return the input tokens reported by the upstream, or {@link ResponseInspector#UNKNOWN}} */
    public long inputTokens() {
        return inputTokens;
    }

    /** {@return the output tokens: reported by the upstream, else counted from the relayed events} */
    public long outputTokens() {
        return outputTokens != ResponseInspector.UNKNOWN ? outputTokens : tokenEvents;
    }

    /** {@return whether an upstream event that carried output was recorded ({@link #tokenEvent})} */
    public boolean sawToken() {
        return tokenEvents > 0;
    }

    /** {@return the nanoseconds from the whole request to the first token (0 when none was seen)} */
    public long ttftNanos() {
        return firstTokenNanos == 0 ? 0 : Math.max(0, firstTokenNanos - startNanos);
    }

    /** {@return the seconds from the whole request to the first token (0 when none was seen)} */
    public double ttftSeconds() {
        return ttftNanos() / 1e9;
    }

    /** {@return the seconds from the whole request to the end of the response (or to now if not ended)} */
    public double totalSeconds() {
        return seconds((endNanos == 0 ? System.nanoTime() : endNanos) - startNanos);
    }

    /**
     * {@return the output tokens per second of generation, as the class comment defines it; 0 when no time passed}
     *
     * @param streamed whether the response was a stream (then the time to first token is left out)
     */
    public double tokensPerSecond(boolean streamed) {
        double total = totalSeconds();
        double generation = streamed && firstTokenNanos != 0 ? total - ttftSeconds() : total;
        return generation > 0 ? outputTokens() / generation : 0;
    }

    /**
     * The member to add to the final JSON object: {@code "x_metrics":{"ttft_seconds":…,"tps":…,
     * "total_time_seconds":…}}, seconds to 0.1 ms, tokens per second to 0.1.
     *
     * @param streamed whether the response was a stream, as for {@link #tokensPerSecond}
     * @return the member's text, for {@link JsonSplice#insertMember}
     */
    public String xMetricsMember(boolean streamed) {
        StringBuilder out = new StringBuilder(80).append("\"x_metrics\":{\"ttft_seconds\":");
        Decimals.append(out, ttftSeconds(), 4);
        out.append(",\"tps\":");
        Decimals.append(out, tokensPerSecond(streamed), 1);
        out.append(",\"total_time_seconds\":");
        Decimals.append(out, totalSeconds(), 4);
        return out.append('}').toString();
    }

    private static double seconds(long nanos) {
        return Math.max(0, nanos) / 1e9;
    }
}
