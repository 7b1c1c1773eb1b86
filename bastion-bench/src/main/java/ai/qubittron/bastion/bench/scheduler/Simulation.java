package ai.qubittron.bastion.bench.scheduler;

import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One discrete-event run: a {@link Workload} through one {@link RoutingPolicy} onto the scenario's
 * workers, on a simulated nanosecond clock, until every request has finished. Events at the same instant
 * run in a fixed order (step ends by worker index, then the scrape, then the arrival), so a run is a pure
 * function of the scenario, the workload and the policy.
 */
final class Simulation implements SimulatedWorker.Events {

    private final Scenario scenario;
    private final SimulatedWorker[] workers;
    private final RoutingPolicy policy;
    private final SimRequest[] requests;
    private final ArrayDeque<SimRequest> held = new ArrayDeque<>();
    private final RunResult.Recorder recorder;
    private long now;
    private int finished;
    /** Requests finished by the step just ended: each lets the oldest held request retry once. */
    private int freed;

    Simulation(Scenario scenario, Workload workload, RoutingPolicy.Kind kind) {
        this(scenario, workload, kind, kind::create);
    }

    /** A run of the policy that {@code factory} makes, reported as {@code kind} (tests vary a policy's settings). */
    Simulation(Scenario scenario, Workload workload, RoutingPolicy.Kind kind,
               Function<RoutingPolicy.Context, RoutingPolicy> factory) {
        this.scenario = scenario;
        this.workers = new SimulatedWorker[scenario.workers().size()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new SimulatedWorker(i, scenario, this);
        }
        this.requests = new SimRequest[workload.size()];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = new SimRequest(i, workload.arrivalNanos[i], workload.promptTokens[i], workload.outputTokens[i]);
        }
        SplittableRandom random = new SplittableRandom(scenario.seed() ^ (0x5DEECE66DL * (kind.ordinal() + 1)));
        this.policy = factory.apply(new RoutingPolicy.Context(scenario, workers, () -> now, random, requests.length));
        this.recorder = new RunResult.Recorder(scenario, kind, workload, requests);
    }

    /** Runs to the last request's last token. */
    RunResult run() {
        int nextArrival = 0;
        long nextScrape = 0;
        while (finished < requests.length) {
            int stepping = -1;
            long t = Long.MAX_VALUE;
            for (int i = 0; i < workers.length; i++) {
                if (workers[i].stepping() && workers[i].stepEndNanos() < t) {
                    t = workers[i].stepEndNanos();
                    stepping = i;
                }
            }
            long arrival = nextArrival < requests.length ? requests[nextArrival].arrivalNanos : Long.MAX_VALUE;
            if (stepping >= 0 && t <= nextScrape && t <= arrival) {
                now = t;
                workers[stepping].endStep(t);
                for (; freed > 0; freed--) {
                    releaseHeld();
                }
            } else if (nextScrape <= arrival) {
                now = nextScrape;
                policy.scrape(now);
                releaseHeld();
                nextScrape += scenario.scrapeIntervalNanos();
            } else {
                now = arrival;
                SimRequest r = requests[nextArrival++];
                if (!held.isEmpty() || !route(r)) {
                    held.add(r); // FIFO: nothing overtakes a held request
                }
            }
        }
        return recorder.result();
    }

    /**
     * Retries the oldest held request once. Called at each scrape (the overload flags may have changed) and
     * each time a request finishes (capacity freed up), so held requests leave at the rate capacity appears:
     * releasing them all at once would send them all to the first worker whose flag clears, which keeps its
     * flag until the next scrape.
     */
    private void releaseHeld() {
        if (!held.isEmpty() && route(held.peek())) {
            held.poll();
        }
    }

    /** Lets the policy pick a worker for {@code r} and sends it there; false if the policy holds it. */
    private boolean route(SimRequest r) {
        int w = policy.pick(r, now);
        if (w < 0) {
            return false;
        }
        r.pickNanos = now;
        recorder.picked(r, w, now);
        workers[w].submit(r, now);
        return true;
    }

    @Override
    public void firstToken(SimRequest request, long t) {
        recorder.tokens(1, t);
        policy.firstToken(request, t);
    }

    @Override
    public void token(SimRequest request, long t) {
        recorder.tokens(1, t);
        policy.token(request, t);
    }

    @Override
    public void finished(SimRequest request, long t) {
        finished++;
        policy.finished(request, t);
        freed++;
    }

    /** The workers, for tests that inspect their state after {@link #run}. */
    SimulatedWorker[] workers() {
        return workers;
    }

    RoutingPolicy policy() {
        return policy;
    }
}
