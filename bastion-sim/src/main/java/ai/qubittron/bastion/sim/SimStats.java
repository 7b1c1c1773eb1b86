package ai.qubittron.bastion.sim;

/**
 * A snapshot of a {@link SimulatedWorker}'s counters, taken by {@link SimulatedWorker#stats()}; immutable.
 *
 * <p>Only model requests are counted: generation ({@code /v1/chat/completions}, {@code /v1/completions},
 * {@code /v1/responses}) and audio ({@code /v1/audio/transcriptions}, {@code /v1/audio/speech});
 * {@code /v1/models}, {@code /metrics}, {@code /health} and {@code /admin/*} are not. Audio requests take
 * no running slot, so they are never {@code running} or {@code waiting}. The counters are read one after
 * the other without a lock, so a snapshot taken while requests run may be a few events apart between
 * fields.
 *
 * @param requestsReceived  model requests received, whatever their outcome (400, 404 and 500 included)
 * @param requestsCompleted model requests whose whole response was written
 * @param requestsCancelled requests (generation waiting or running, audio being answered) ended because
 *                          their connection closed before the response finished: the client went away,
 *                          or {@link SimulatedWorker#refuseConnections(boolean)} closed it
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
