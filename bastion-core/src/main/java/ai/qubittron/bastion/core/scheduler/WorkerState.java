package ai.qubittron.bastion.core.scheduler;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The live state of one upstream worker of one model: load counters, latency estimates and circuit.
 * Created by {@link Scheduler#addWorker}; any thread may read it, and it is changed only through the
 * {@link Lease}s that {@link Scheduler#pick} hands out, plus {@link #overloaded(boolean)}.
 *
 * <p><b>Load.</b> {@link #inFlight()} counts leases not yet released; {@link #pendingPrefillTokens()} sums
 * the prompt tokens of leases that have no first token yet; {@link #decodingStreams()} counts leases past
 * their first token. All are atomics; a racing release may show a counter one off for an instant, never
 * for good.
 *
 * <p><b>Cost</b> of a new request of {@code p} prompt tokens (seconds, the predicted time to its first
 * token):
 * <pre>
 *   ramp × ( (pendingPrefillTokens + p + overheadTokens) × ttftPerToken
 *            + decodingStreams × decodeContention × itl )
 * </pre>
 * The prefill term: the request waits for the prompts queued before it and its own; the fixed overhead
 * of a request (scheduling, network, the first decode step) is expressed as {@code overheadTokens}
 * (default 256) so that one estimate covers both. The decode term: every running stream steals part of
 * each engine step from prefill ({@code decodeContention}, default 0.5 ITL per stream).
 * {@code ttftPerToken} is learnt from samples {@code TTFT / (tokens ahead at pick + overheadTokens)} as a
 * peak-EWMA (default τ = 10 s), so a slower TTFT counts at once and a faster one only as evidence
 * accumulates. {@code itl} is learnt from the gaps between tokens as a plain time-decayed average (same τ):
 * under chunked prefill a step that carries a prefill chunk delays every stream's next token, and a
 * peak estimate would hold on to those gaps, making the decode term charge each decoding stream for
 * prefill work that the prefill term already counts.
 *
 * <p><b>Ramp-up.</b> A new worker starts from the estimates it is given (the peers' median) but these are
 * guesses, and a cold engine (empty prefix cache, CUDA graphs not captured) is slower than its peers. Its
 * cost is therefore multiplied by {@code ramp}, which starts at {@code rampUpFactor} (default 2) and falls
 * linearly to 1 over its first {@code rampUpSamples} first-token samples (default 8); a request that
 * succeeds without one (not streamed) counts as a sample too. Counting samples rather than seconds ties
 * the ramp to evidence: an idle new worker stays conservative until it has actually served requests.
 * A worker added while no peer of its model has served a request yet (a gateway's initial workers) has
 * no ramp: they are all equally cold, and a ramp would only lock traffic onto whichever served first.
 *
 * <p><b>Circuit.</b> CLOSED → OPEN after {@code failureThreshold} consecutive failures (default 3); OPEN
 * takes no pick until its backoff (1 s, doubling per failed probe up to 30 s) has elapsed; then the first
 * pick to claim it (a CAS) becomes the single probe and the worker is HALF_OPEN. The probe's first token
 * or success closes the circuit and resets the backoff; its failure reopens it with the next backoff; a
 * probe released without outcome leaves it OPEN and immediately eligible for a new probe. Outcomes of
 * leases picked before the circuit opened only move the failure count. {@link #ejections()} counts the
 * CLOSED → OPEN transitions; a failed probe that reopens the circuit continues the same ejection.
 *
 * <p><b>Saturation.</b> A worker with {@code maxInFlightPerWorker} leases (default 512), or flagged
 * {@linkplain #overloaded(boolean) overloaded} by a load filter, takes no pick; {@link #saturated()} says so.
 *
 * <p><b>Draining.</b> {@link Scheduler#drain} / {@link Scheduler#remove} set {@link #draining()} before
 * touching the table, and a pick re-checks it after counting itself in flight, so once a caller has seen
 * {@code draining() && inFlight() == 0} no lease can ever appear on this worker again.
 */
public final class WorkerState {

    static final int CLOSED = 0;
    static final int OPEN = 1;
    static final int HALF_OPEN = 2;

    private final String name;
    private final Object endpoint;
    private final SchedulerConfig config;
    private final LongSupplier nanoClock;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong pendingPrefillTokens = new AtomicLong();
    private final AtomicInteger decodingStreams = new AtomicInteger();
    private final Ewma ttftPerToken;
    private final Ewma itl;
    private final AtomicInteger rampSamples = new AtomicInteger();

    private final AtomicInteger circuit = new AtomicInteger(CLOSED);
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    /** CLOSED → OPEN transitions; written only by the CAS winner of such a transition, so rare. */
    private final AtomicLong ejections = new AtomicLong();
    private volatile long openUntilNanos;
    private volatile int backoffLevel;

    private volatile boolean draining;
    private volatile boolean overloaded;
    private volatile boolean served;

    WorkerState(String name, Object endpoint, SchedulerConfig config, LongSupplier nanoClock,
                double initialTtftPerTokenSeconds, double initialItlSeconds, boolean rampUp) {
        this.name = Objects.requireNonNull(name, "name");
        if (!rampUp) {
            rampSamples.set(config.rampUpSamples());
        }
        this.endpoint = endpoint;
        this.config = config;
        this.nanoClock = nanoClock;
        long now = nanoClock.getAsLong();
        this.ttftPerToken = Ewma.peak(initialTtftPerTokenSeconds, now, config.ewmaTimeConstantNanos());
        this.itl = Ewma.plain(initialItlSeconds, now, config.ewmaTimeConstantNanos());
    }

    /** {@return the name the caller gave this worker (unique per model)} */
    public String name() {
        return name;
    }

    /** {@return the caller's object for this worker (the gateway attaches its upstream worker); may be null} */
    public Object endpoint() {
        return endpoint;
    }

    /** {@return the leases not yet released} */
    public int inFlight() {
        return inFlight.get();
    }

    /** {@return the prompt tokens of the leases that have no first token yet} */
    public long pendingPrefillTokens() {
        return pendingPrefillTokens.get();
    }

    /** {@return the leases past their first token and not yet released} */
    public int decodingStreams() {
        return decodingStreams.get();
    }

    /**
     * {@return the peak-EWMA of seconds to first token per prompt token ahead (overhead included, see the
     * class comment)}
     */
    public double ttftPerTokenSeconds() {
        return ttftPerToken.get();
    }

    /** {@return the time-decayed average of the inter-token latency, in seconds} */
    public double itlSeconds() {
        return itl.get();
    }

    /** {@return the circuit's state now} */
    public CircuitState circuitState() {
        switch (circuit.get()) {
            case OPEN:
                return CircuitState.OPEN;
            case HALF_OPEN:
                return CircuitState.HALF_OPEN;
            default:
                return CircuitState.CLOSED;
        }
    }

    /**
     * {@return how many times the circuit went from CLOSED to OPEN} That is how often the worker was
     * taken out after consecutive failures; a failed probe that reopens the circuit is not a new ejection.
     */
    public long ejections() {
        return ejections.get();
    }

    /** {@return whether the worker was drained or removed: then it takes no new pick, for good} */
    public boolean draining() {
        return draining;
    }

    /** {@return whether a load filter (e.g. scraped vLLM metrics) says this worker is saturated} */
    public boolean overloaded() {
        return overloaded;
    }

    /**
     * Marks the worker overloaded or not; an overloaded worker takes no pick (see {@link #saturated()}).
     * Any thread; the next pick sees it.
     *
     * @param value whether it is overloaded
     */
    public void overloaded(boolean value) {
        overloaded = value;
    }

    /**
     * {@return the predicted seconds to first token for a request on this worker, by the formula of the class
     * comment}
     *
     * @param promptTokens the request's prompt tokens
     */
    public double cost(long promptTokens) {
        double prefill = (double) Math.max(0L, pendingPrefillTokens.get()) + promptTokens + config.overheadTokens();
        double decode = (double) Math.max(0, decodingStreams.get()) * config.decodeContention() * itl.get();
        return rampMultiplier() * (prefill * ttftPerToken.get() + decode);
    }

    double rampMultiplier() {
        int k = config.rampUpSamples();
        int n = rampSamples.get();
        if (n >= k) {
            return 1.0;
        }
        return 1.0 + (config.rampUpFactor() - 1.0) * (k - n) / k;
    }

    /** Whether a pick at {@code now} may consider this worker (it may still lose the probe race). */
    boolean eligible(long now) {
        if (draining) {
            return false;
        }
        int c = circuit.get();
        return c == CLOSED || (c == OPEN && now - openUntilNanos >= 0);
    }

    /**
     * {@return whether the worker is at its in-flight cap or flagged overloaded: it takes no pick until that
     * changes}
     */
    public boolean saturated() {
        return overloaded || inFlight.get() >= config.maxInFlightPerWorker();
    }

    /** Counts a new request in and fills {@code into}, or returns false if the worker cannot take it now. */
    boolean tryAcquire(long promptTokens, long now, Lease into) {
        boolean probe;
        int c = circuit.get();
        if (c == CLOSED) {
            probe = false;
        } else if (c == OPEN && now - openUntilNanos >= 0 && circuit.compareAndSet(OPEN, HALF_OPEN)) {
            probe = true;
        } else {
            return false;
        }
        int n = inFlight.incrementAndGet();
        if (draining || n > config.maxInFlightPerWorker()) {
            inFlight.decrementAndGet();
            if (probe) {
                circuit.set(OPEN); // backoff already elapsed: eligible again at once
            }
            return false;
        }
        long ahead = pendingPrefillTokens.getAndAdd(promptTokens) + promptTokens;
        into.fill(this, promptTokens, Math.max(0L, ahead), now, probe);
        return true;
    }

    void markDraining() {
        draining = true;
    }

    long now() {
        return nanoClock.getAsLong();
    }

    // ---- called by Lease, each exactly once per lease transition ----

    void releaseAdmitted(long promptTokens) {
        pendingPrefillTokens.addAndGet(-promptTokens);
        inFlight.decrementAndGet();
    }

    void admittedToDecoding(long promptTokens) {
        decodingStreams.incrementAndGet();
        pendingPrefillTokens.addAndGet(-promptTokens);
    }

    void releaseDecoding() {
        decodingStreams.decrementAndGet();
        inFlight.decrementAndGet();
    }

    void recordFirstToken(long ttftNanos, long tokensAhead, long now) {
        double seconds = Math.max(0L, ttftNanos) / 1e9;
        ttftPerToken.update(seconds / Math.max(1L, tokensAhead + config.overheadTokens()), now);
        countRampSample();
    }

    /** Whether this worker has served at least one request (a first token or a success). */
    boolean served() {
        return served;
    }

    void countRampSample() {
        if (!served) {
            served = true;
        }
        if (rampSamples.get() < config.rampUpSamples()) {
            rampSamples.incrementAndGet();
        }
    }

    void recordInterToken(long gapNanos, long now) {
        itl.update(Math.max(0L, gapNanos) / 1e9, now);
    }

    void recordSuccess(boolean probe) {
        consecutiveFailures.set(0);
        if (probe) {
            backoffLevel = 0;
            circuit.set(CLOSED);
        }
    }

    void recordFailure(boolean probe, long now) {
        if (probe) {
            int level = Math.min(backoffLevel + 1, 62);
            backoffLevel = level;
            openUntilNanos = now + config.backoffNanos(level);
            circuit.set(OPEN); // only the probe's owner leaves HALF_OPEN
            return;
        }
        int failures = consecutiveFailures.incrementAndGet();
        if (failures >= config.failureThreshold() && circuit.get() == CLOSED) {
            // openUntil is written before OPEN is published, so no picker sees OPEN with a stale deadline.
            openUntilNanos = now + config.backoffNanos(0);
            if (circuit.compareAndSet(CLOSED, OPEN)) {
                backoffLevel = 0;
                ejections.incrementAndGet();
            }
        }
    }

    void abandonProbe() {
        circuit.set(OPEN); // backoff already elapsed: the next pick may probe again
    }

    @Override
    public String toString() {
        return "WorkerState{" + name + ", inFlight=" + inFlight.get() + ", pending=" + pendingPrefillTokens.get()
                + ", decoding=" + decodingStreams.get() + ", circuit=" + circuitState() + (draining ? ", draining" : "")
                + '}';
    }
}
