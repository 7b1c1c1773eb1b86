package ai.qubittron.bastion.bench.scheduler;

/** One simulated request and its progress; owned by the simulation thread, times on the simulated clock. */
final class SimRequest {

    final int id;
    final long arrivalNanos;
    final int promptTokens;
    final int outputTokens;

    /** The worker it was sent to, -1 while the gateway holds it. */
    int worker = -1;
    long pickNanos = -1;
    /** Prompt tokens prefilled by completed steps. */
    int prefilled;
    /** Prompt tokens the worker's current step is prefilling (0 if none). */
    int plannedPrefill;
    /** Output tokens emitted, the first included. */
    int generated;
    long firstTokenNanos = -1;
    long endNanos = -1;

    SimRequest(int id, long arrivalNanos, int promptTokens, int outputTokens) {
        this.id = id;
        this.arrivalNanos = arrivalNanos;
        this.promptTokens = promptTokens;
        this.outputTokens = outputTokens;
    }

    boolean prefillDone() {
        return prefilled == promptTokens;
    }

    boolean finished() {
        return endNanos >= 0;
    }
}
