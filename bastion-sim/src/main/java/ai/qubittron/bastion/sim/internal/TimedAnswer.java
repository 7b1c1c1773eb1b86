package ai.qubittron.bastion.sim.internal;

import java.util.concurrent.ScheduledFuture;

/**
 * An answer written by timers on the connection's event loop, taking no running slot of the engine
 * (a {@link Transcription}, a {@link SpeechStream}): what they share is how they are cancelled.
 *
 * <p>Thread role: the connection's event loop.
 */
abstract class TimedAnswer implements InFlightResponse {

    protected final SimEngine engine;
    /** Whether the answer is complete, was cut by a fault, or was cancelled. */
    protected boolean done;
    /** The pending step, or {@code null}. */
    protected ScheduledFuture<?> timer;

    TimedAnswer(SimEngine engine) {
        this.engine = engine;
    }

    @Override
    public final void cancel() {
        if (done) {
            return;
        }
        done = true;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        engine.recordCancelled();
    }
}
