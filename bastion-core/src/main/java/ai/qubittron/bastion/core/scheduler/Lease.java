package ai.qubittron.bastion.core.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One request's claim on one worker, returned by {@link Scheduler#pick}. It reserved the worker's
 * counters at pick time and releases them <b>exactly once</b>, on the first of {@link #succeeded},
 * {@link #failed} or {@link #close}, whatever the order or number of calls and from whichever threads;
 * later calls do nothing.
 *
 * <p><b>Life.</b> ADMITTED (in flight, prompt counted in pending prefill) → {@link #firstToken} → DECODING
 * (prompt moved out of pending prefill, counted as a decoding stream) → DONE. Any state may go straight to
 * DONE. Transitions are one CAS on an int, so exactly one caller performs each.
 *
 * <p><b>Outcomes.</b> {@link #firstToken} and {@link #succeeded} count as a success for the circuit,
 * {@link #failed} as a failure; {@link #close} records no outcome (a client disconnect says nothing about
 * the worker). If this lease is the circuit's half-open probe, the first outcome decides the circuit, and
 * a probe closed without outcome lets the next pick probe again.
 *
 * <p><b>Reuse.</b> {@link Scheduler#pick(String, long, java.util.Set)} allocates a lease per pick. A caller
 * that wants picks without allocation owns one lease made with {@link #Lease()} and passes it to
 * {@link Scheduler#pick(String, long, java.util.Set, Lease)} again once it is {@link #released()}; the
 * exactly-once guarantee then holds per pick, and the owner must not call a previous pick's methods after
 * the next pick filled the same object.
 *
 * <p><b>Threads.</b> {@link #token} keeps the time of the previous token in a plain field: call it and
 * {@link #firstToken} from one thread (the relay's event loop); every other method is safe from any thread.
 */
public final class Lease implements AutoCloseable {

    private static final int ADMITTED = 0;
    private static final int DECODING = 1;
    private static final int DONE = 2;

    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(Lease.class, "phase", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Written by the owner's pick before the volatile write of phase that publishes them.
    private WorkerState worker;
    private long promptTokens;
    private long tokensAhead;
    private long pickNanos;
    private boolean probe;
    @SuppressWarnings("unused") // accessed through PHASE
    private volatile int phase;
    private long lastTokenNanos;

    /** An empty lease, already {@linkplain #released() released}, for {@link Scheduler#pick(String, long, java.util.Set, Lease)} to fill. */
    public Lease() {
        phase = DONE;
    }

    Lease(WorkerState worker, long promptTokens, long tokensAhead, long pickNanos, boolean probe) {
        fill(worker, promptTokens, tokensAhead, pickNanos, probe);
    }

    /** Takes a new claim; the caller has checked that this lease is released and has counted the worker in. */
    void fill(WorkerState worker, long promptTokens, long tokensAhead, long pickNanos, boolean probe) {
        this.worker = worker;
        this.promptTokens = promptTokens;
        this.tokensAhead = tokensAhead;
        this.pickNanos = pickNanos;
        this.probe = probe;
        this.lastTokenNanos = pickNanos;
        PHASE.setRelease(this, ADMITTED); // publishes the fields above; a full fence would add nothing
    }

    /** {@return the worker this lease holds (the last one, once released); null for a lease never filled} */
    public WorkerState worker() {
        return worker;
    }

    /**
     * {@return the worker's caller-attached endpoint (null for a lease never filled); shorthand for {@code
     * worker().endpoint()}}
     */
    public Object endpoint() {
        return worker == null ? null : worker.endpoint();
    }

    /** {@return the prompt tokens the pick counted on the worker} */
    public long promptTokens() {
        return promptTokens;
    }

    /** {@return whether this lease is the one request let through a half-open circuit} */
    public boolean probe() {
        return probe;
    }

    /** {@return whether the counters have been released (true for a new lease, which holds nothing)} */
    public boolean released() {
        return (int) PHASE.getVolatile(this) == DONE;
    }

    /**
     * The first token (or first response byte) arrived at {@code nowNanos} (same clock as the scheduler's):
     * records a TTFT sample, moves the request from prefill to decoding and counts a success. Ignored after
     * the first call or once released.
     *
     * @param nowNanos when it arrived, on the scheduler's clock
     */
    public void firstToken(long nowNanos) {
        if (!PHASE.compareAndSet(this, ADMITTED, DECODING)) {
            return;
        }
        worker.admittedToDecoding(promptTokens);
        worker.recordFirstToken(nowNanos - pickNanos, tokensAhead, nowNanos);
        worker.recordSuccess(probe);
        lastTokenNanos = nowNanos;
    }

    /**
     * A later token arrived at {@code nowNanos}: records an inter-token-latency sample. Optional; relay thread
     * only. A gap of zero is no sample: it is the first token's own event (the relay calls this after
     * {@link #firstToken} for every token event) or tokens that arrived together, and would pull the
     * ITL average down.
     *
     * @param nowNanos when it arrived, on the scheduler's clock
     */
    public void token(long nowNanos) {
        if ((int) PHASE.getVolatile(this) != DECODING) {
            return;
        }
        long last = lastTokenNanos;
        lastTokenNanos = nowNanos;
        if (nowNanos - last > 0) {
            worker.recordInterToken(nowNanos - last, nowNanos);
        }
    }

    /**
     * The request completed at {@code nowNanos}: releases the counters and counts a success, unless already
     * released. The time is accepted for symmetry with {@link #firstToken}; no estimate uses it yet.
     *
     * @param nowNanos when it completed, on the scheduler's clock
     */
    public void succeeded(long nowNanos) {
        int was = release();
        if (was == ADMITTED) {
            // a response with no token timing (not streamed) is still evidence that the worker serves
            worker.countRampSample();
            worker.recordSuccess(probe);
        } else if (was == DECODING) {
            worker.recordSuccess(false); // the first token already decided any probe
        }
    }

    /** The request failed on the worker's side: releases the counters and counts a failure, unless already released. */
    public void failed() {
        int was = release();
        if (was == ADMITTED) {
            worker.recordFailure(probe, worker.now());
        } else if (was == DECODING) {
            worker.recordFailure(false, worker.now());
        }
    }

    /** Releases the counters without an outcome, unless already released. Idempotent. */
    @Override
    public void close() {
        int was = release();
        if (was == ADMITTED && probe) {
            worker.abandonProbe();
        }
    }

    /** Moves to DONE and releases what the previous phase held; returns that phase, or DONE if already released. */
    private int release() {
        for (;;) {
            int p = (int) PHASE.getVolatile(this);
            if (p == DONE) {
                return DONE;
            }
            if (PHASE.compareAndSet(this, p, DONE)) {
                if (p == ADMITTED) {
                    worker.releaseAdmitted(promptTokens);
                } else {
                    worker.releaseDecoding();
                }
                return p;
            }
        }
    }

    @Override
    public String toString() {
        return "Lease{" + (worker == null ? "-" : worker.name()) + ", prompt=" + promptTokens + (probe ? ", probe" : "") + ", phase="
                + (int) PHASE.getVolatile(this) + '}';
    }
}
