package ai.qubittron.bastion.sim.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-model counters behind {@code GET /metrics}. Lock-free: updated by any event loop, read by the
 * metrics encoder.
 */
public final class ModelState {
    final String id;
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger waiting = new AtomicInteger();
    /** Prompt plus generated tokens of this model's running sequences. */
    final AtomicLong kvTokens = new AtomicLong();
    final LongAdder success = new LongAdder();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder generationTokens = new LongAdder();

    ModelState(String id) {
        this.id = id;
    }

    /** The served model id. */
    public String id() {
        return id;
    }
}
