package ai.qubittron.bastion.sim;

/**
 * A snapshot of a {@link SimulatedWorker}'s counters, taken by {@link SimulatedWorker#stats()}.
 *
 * <p>Only generation requests ({@code /v1/chat/completions}, {@code /v1/completions},
 * {@code /v1/responses}) are counted; {@code /v1/models}, {@code /metrics}, {@code /health} and
 * {@code /admin/*} are not. The counters are read one after the other without a lock, so a snapshot
 * taken while requests run may be a few events apart between fields.
 *
 * @param requestsReceived  generation requests received, whatever their outcome (400, 404 and 500 included)
 * @param requestsCompleted generation requests whose whole response was written
 * @param requestsCancelled sequences (waiting or running) ended because their connection closed before
 *                          the response finished: the client went away, or {@link
 *                          SimulatedWorker#refuseConnections(boolean)} closed it
 * @param running           sequences decoding now (admitted, not finished)
 * @param waiting           sequences queued for a running slot
 * @param errorsInjected    requests failed on purpose by {@link SimFaults}: HTTP 500s and cut connections
 */
public record SimStats(
        long requestsReceived,
        long requestsCompleted,
        long requestsCancelled,
        int running,
        int waiting,
        long errorsInjected) {
}
