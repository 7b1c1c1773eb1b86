package ai.qubittron.bastion.sim.internal;

/**
 * The answer being produced, over time, for a connection's current request: a generation
 * {@link Sequence}, a {@link Transcription} or a {@link SpeechStream}. The connection's
 * {@link SimHttpHandler} holds at most one; requests pipelined behind it wait until it completes.
 *
 * <p>Thread role: called on the connection's event loop.
 */
interface InFlightResponse {

    /**
     * The connection closed before the answer was complete: stops its timers, frees what it holds and
     * counts a cancellation. A no-op once the answer is complete or was cut by a fault.
     */
    void cancel();
}
