package ai.qubittron.bastion.bench.scheduler;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * A simulated inference engine with continuous batching and chunked prefill, as vLLM schedules: a FIFO
 * waiting queue and a running set of at most {@link Scenario#maxRunning()} sequences. Steps run back to
 * back while there is work. A step plans its batch when it starts: every running sequence past prefill
 * decodes one token; up to {@link Scenario#prefillBudget()} prompt tokens are prefilled FIFO, first for
 * running sequences still in prefill, then for waiting requests admitted into free slots. Its duration is
 * the formula in {@link Scenario}, with the speed in force when it starts. At its end a sequence whose
 * prefill completed emits its first token, the others their next one; a sequence that has emitted all
 * its output tokens leaves.
 *
 * <p>Single-threaded: the simulation calls it on the simulated clock, and it reports to {@link Events}.
 */
final class SimulatedWorker {

    /** What a worker reports as its steps end; called synchronously, at the step's end time. */
    interface Events {
        void firstToken(SimRequest request, long now);

        void token(SimRequest request, long now);

        void finished(SimRequest request, long now);
    }

    final int index;
    final Scenario.WorkerSpec spec;
    private final Scenario scenario;
    private final Events events;
    private final double itlNanos;
    private final double prefillNanosPerToken;

    private final ArrayDeque<SimRequest> waiting = new ArrayDeque<>();
    private final SimRequest[] running;
    private int runningCount;
    private boolean stepping;
    private long stepEndNanos;

    // scratch state of predictTtft (the oracle's forward simulation)
    private final int[] prefillLeft;
    private final int[] outputLeft;
    private final int[] planned;
    private final boolean[] isProbe;

    SimulatedWorker(int index, Scenario scenario, Events events) {
        this.index = index;
        this.spec = scenario.workers().get(index);
        this.scenario = scenario;
        this.events = events;
        this.itlNanos = spec.itlSeconds() * 1e9;
        this.prefillNanosPerToken = spec.prefillSecondsPerToken() * 1e9;
        int max = scenario.maxRunning();
        this.running = new SimRequest[max];
        this.prefillLeft = new int[max];
        this.outputLeft = new int[max];
        this.planned = new int[max];
        this.isProbe = new boolean[max];
    }

    String name() {
        return spec.name();
    }

    /** Requests sent here and not finished. */
    int inFlight() {
        return waiting.size() + runningCount;
    }

    /** Requests queued in the engine, not yet admitted (vLLM's {@code num_requests_waiting}). */
    int waiting() {
        return waiting.size();
    }

    int running() {
        return runningCount;
    }

    boolean stepping() {
        return stepping;
    }

    long stepEndNanos() {
        return stepEndNanos;
    }

    /** Queues {@code request}; an idle worker starts a step at once. */
    void submit(SimRequest request, long now) {
        request.worker = index;
        waiting.add(request);
        if (!stepping) {
            startStep(now);
        }
    }

    /** Ends the step in progress at {@code now} (its end time), reports its tokens and starts the next one. */
    void endStep(long now) {
        if (!stepping || now != stepEndNanos) {
            throw new IllegalStateException(name() + ": no step ends at " + now);
        }
        int kept = 0;
        for (int i = 0; i < runningCount; i++) {
            SimRequest r = running[i];
            running[i] = null;
            boolean done = false;
            if (r.plannedPrefill > 0) {
                r.prefilled += r.plannedPrefill;
                r.plannedPrefill = 0;
                if (r.prefillDone()) {
                    r.generated = 1;
                    r.firstTokenNanos = now;
                    events.firstToken(r, now);
                    done = r.generated == r.outputTokens;
                }
            } else if (r.prefillDone()) {
                r.generated++;
                events.token(r, now);
                done = r.generated == r.outputTokens;
            }
            if (done) {
                r.endNanos = now;
                events.finished(r, now);
            } else {
                running[kept++] = r;
            }
        }
        runningCount = kept;
        stepping = false; // only now: a request submitted from an event above just queues
        startStep(now);
    }

    private void startStep(long now) {
        int budget = scenario.prefillBudget();
        int prefill = 0;
        for (int i = 0; i < runningCount && budget > 0; i++) {
            SimRequest r = running[i];
            int left = r.promptTokens - r.prefilled;
            if (left > 0) {
                r.plannedPrefill = Math.min(left, budget);
                budget -= r.plannedPrefill;
                prefill += r.plannedPrefill;
            }
        }
        while (budget > 0 && runningCount < running.length && !waiting.isEmpty()) {
            SimRequest r = waiting.poll();
            r.plannedPrefill = Math.min(r.promptTokens, budget);
            budget -= r.plannedPrefill;
            prefill += r.plannedPrefill;
            running[runningCount++] = r;
        }
        if (runningCount == 0) {
            return;
        }
        stepping = true;
        stepEndNanos = now + stepNanos(runningCount, prefill, scenario.speed(index, now));
    }

    private long stepNanos(int batch, int prefillTokens, double speed) {
        double decode = itlNanos * (1 + scenario.loadSlowdown() * batch / scenario.maxRunning());
        return Math.max(1L, Math.round(speed * (decode + prefillTokens * prefillNanosPerToken)));
    }

    /**
     * The oracle's view: nanoseconds from {@code now} to the first token of a request of {@code promptTokens}
     * sent here now, found by running this engine's rules forward on a copy of its state, assuming nothing
     * else arrives and the speed stays as it is now. With {@code clairvoyant} the copy includes every
     * request's true output length; without, each sequence is given its expected remaining length
     * ({@link Workload#expectedRemainingOutput}), which is all an engine can know. Returns
     * {@link Long#MAX_VALUE} as soon as the answer exceeds {@code bound}, which keeps a full scan cheap.
     */
    long predictTtft(long now, int promptTokens, long bound, boolean clairvoyant) {
        double speed = scenario.speed(index, now);
        int n = 0;
        for (int i = 0; i < runningCount; i++) {
            SimRequest r = running[i];
            int left = r.promptTokens - r.prefilled;
            int generated = r.generated;
            if (stepping) { // the step in progress is already planned: apply it
                if (r.plannedPrefill > 0) {
                    left -= r.plannedPrefill;
                    if (left == 0) {
                        generated++;
                    }
                } else if (left == 0) {
                    generated++;
                }
            }
            int out = clairvoyant ? r.outputTokens - generated : Workload.expectedRemainingOutput(generated);
            if (out > 0) {
                prefillLeft[n] = left;
                outputLeft[n] = out;
                isProbe[n] = false;
                n++;
            }
        }
        long t = stepping ? stepEndNanos : now;
        if (t - now > bound) {
            return Long.MAX_VALUE;
        }
        Iterator<SimRequest> queue = waiting.iterator();
        boolean probeWaiting = true;
        for (;;) {
            int budget = scenario.prefillBudget();
            int prefill = 0;
            for (int i = 0; i < n; i++) {
                int c = Math.min(prefillLeft[i], budget);
                planned[i] = c;
                budget -= c;
                prefill += c;
            }
            while (budget > 0 && n < running.length && (probeWaiting || queue.hasNext())) {
                boolean probe = !queue.hasNext();
                SimRequest q = probe ? null : queue.next();
                int prompt = probe ? promptTokens : q.promptTokens;
                probeWaiting &= !probe;
                prefillLeft[n] = prompt;
                outputLeft[n] = probe ? Integer.MAX_VALUE
                        : clairvoyant ? q.outputTokens : Workload.expectedRemainingOutput(0);
                isProbe[n] = probe;
                planned[n] = Math.min(prompt, budget);
                budget -= planned[n];
                prefill += planned[n];
                n++;
            }
            t += stepNanos(n, prefill, speed);
            if (t - now > bound) {
                return Long.MAX_VALUE;
            }
            int kept = 0;
            for (int i = 0; i < n; i++) {
                int left = prefillLeft[i];
                int out = outputLeft[i];
                if (planned[i] > 0) {
                    left -= planned[i];
                    if (left == 0) {
                        if (isProbe[i]) {
                            return t - now;
                        }
                        out--;
                    }
                } else if (left == 0) {
                    out--;
                }
                if (out > 0) {
                    prefillLeft[kept] = left;
                    outputLeft[kept] = out;
                    isProbe[kept] = isProbe[i];
                    kept++;
                }
            }
            n = kept;
        }
    }

    @Override
    public String toString() {
        return name() + "{waiting=" + waiting.size() + ", running=" + runningCount + ", stepping=" + stepping + '}';
    }
}
