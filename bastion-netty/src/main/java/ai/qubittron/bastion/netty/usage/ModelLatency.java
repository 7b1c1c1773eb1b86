package ai.qubittron.bastion.netty.usage;

/**
 * One model's latency and throughput on one node over the last 10 seconds.
 *
 * @param model                 the catalog model's id
 * @param requests              requests that ended in the window with a first token (streams) or a
 *                              successful first byte (non-streamed)
 * @param ttftP50Seconds        the median time to first token: from the whole request to the first token
 *                              relayed (streams), or to the response's first byte (non-streamed); 0 with
 *                              no request
 * @param ttftP99Seconds        its 99th percentile
 * @param outputTokensPerSecond the output tokens of those requests, divided by the window
 */
public record ModelLatency(String model, long requests, double ttftP50Seconds, double ttftP99Seconds,
                           double outputTokensPerSecond) {
}
