package ai.qubittron.bastion.core.scheduler;

/** The circuit of one worker, as seen by {@link WorkerState#circuitState()}. */
public enum CircuitState {
    /** Healthy: takes picks. */
    CLOSED,
    /** Failed: takes no picks until its backoff has elapsed, then lets one probe through. */
    OPEN,
    /** One probe is in flight; no other pick until it ends. */
    HALF_OPEN
}
