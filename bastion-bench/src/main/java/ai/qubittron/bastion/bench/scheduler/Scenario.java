package ai.qubittron.bastion.bench.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * What the scheduler simulation runs: the cluster, the engine model, the workload and the fault, all
 * immutable. {@link #standard} is the scenario of the issue; the {@code with…} methods derive variants
 * (tests use shorter runs or fewer workers).
 *
 * <p><b>Cluster.</b> One model on {@link #workers()} workers; each runs at most {@link #maxRunning()}
 * sequences and a prefill budget of {@link #prefillBudget()} prompt tokens per engine step. A step takes
 * {@code speed × (itl × (1 + loadSlowdown × running / maxRunning) + prefillTokens × prefillPerToken)}: a
 * full batch makes each decode step {@code 1 + loadSlowdown} times the idle ITL (default 0.5, i.e. 18 ms
 * instead of 12 ms on a fast worker), which is the "slowing under load"; {@code speed} is 1, or
 * {@link #slowdownFactor()} for the {@link #slowedWorker()} during the middle third of the arrivals.
 *
 * <p><b>Workload.</b> Gamma inter-arrival times with coefficient of variation {@link #arrivalCv()} (shape
 * {@code 1 / cv²}; 2 gives shape 0.25: bursts of back-to-back requests separated by long gaps), for
 * {@link #durationNanos()} of simulated time per run; prompts uniform in 256–1,024 tokens, except a
 * {@link #longPromptShare()} (20 %) uniform in 8,192–16,384; outputs uniform in 64–1,024 tokens.
 *
 * <p><b>Gateway.</b> Every {@link #scrapeIntervalNanos()} (100 ms) the gateway's metrics filter marks a
 * worker overloaded while its engine has at least {@link #overloadedWaiting()} requests waiting (standard:
 * 32, a whole batch queued behind a full one, about 30 s of wait on a fast worker and 100 s on a slow one
 * of this cluster, so only a pathological queue). It is a filter for the Bastion policy only; the other
 * policies ignore it.
 */
public record Scenario(long seed, long durationNanos, List<WorkerSpec> workers, int slowedWorker,
                       double slowdownFactor, int maxRunning, int prefillBudget, double loadSlowdown,
                       double arrivalCv, double longPromptShare, int overloadedWaiting, long scrapeIntervalNanos) {

    /** The shortest prompt of a "long" request; also the goodput class boundary. */
    public static final int LONG_PROMPT_TOKENS = 8_192;
    /** Goodput limit of the TTFT of a short prompt (under {@value #LONG_PROMPT_TOKENS} tokens): 1 s. */
    public static final long SHORT_TTFT_LIMIT_NANOS = 1_000_000_000L;
    /** Goodput limit of the TTFT of a long prompt: 5 s. */
    public static final long LONG_TTFT_LIMIT_NANOS = 5_000_000_000L;

    /** One worker's nominal speed: seconds of prefill per prompt token and inter-token latency of an idle batch. */
    public record WorkerSpec(String name, double prefillSecondsPerToken, double itlSeconds) {
        public WorkerSpec {
            if (!(prefillSecondsPerToken > 0) || !(itlSeconds > 0)) {
                throw new IllegalArgumentException("worker " + name + ": prefill " + prefillSecondsPerToken
                        + ", itl " + itlSeconds + " (expected > 0)");
            }
        }
    }

    public Scenario {
        workers = List.copyOf(workers);
        if (durationNanos <= 0) {
            throw new IllegalArgumentException("durationNanos: " + durationNanos + " (expected > 0)");
        }
        if (workers.isEmpty()) {
            throw new IllegalArgumentException("workers: empty");
        }
        if (slowedWorker < -1 || slowedWorker >= workers.size()) {
            throw new IllegalArgumentException("slowedWorker: " + slowedWorker + " (expected -1 or a worker index)");
        }
        if (!(slowdownFactor >= 1) || !(arrivalCv > 0) || !(loadSlowdown >= 0)
                || !(longPromptShare >= 0 && longPromptShare <= 1)) {
            throw new IllegalArgumentException("slowdownFactor " + slowdownFactor + ", arrivalCv " + arrivalCv
                    + ", loadSlowdown " + loadSlowdown + ", longPromptShare " + longPromptShare);
        }
        if (maxRunning <= 0 || prefillBudget <= 0 || overloadedWaiting <= 0 || scrapeIntervalNanos <= 0) {
            throw new IllegalArgumentException("maxRunning " + maxRunning + ", prefillBudget " + prefillBudget
                    + ", overloadedWaiting " + overloadedWaiting + ", scrapeIntervalNanos " + scrapeIntervalNanos
                    + " (expected > 0)");
        }
    }

    /**
     * The cluster: 4 fast (0.2 ms/token prefill, 12 ms ITL), 2 medium (0.45 / 20), 2 slow
     * (0.8 / 30) workers, the first fast one slowed 4× for the middle third.
     */
    public static Scenario standard(long seed, double durationSeconds) {
        List<WorkerSpec> workers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            workers.add(new WorkerSpec("fast-" + i, 0.000_2, 0.012));
        }
        for (int i = 0; i < 2; i++) {
            workers.add(new WorkerSpec("medium-" + i, 0.000_45, 0.020));
        }
        for (int i = 0; i < 2; i++) {
            workers.add(new WorkerSpec("slow-" + i, 0.000_8, 0.030));
        }
        return new Scenario(seed, seconds(durationSeconds), workers, 0, 4.0, 32, 2_048, 0.5, 2.0, 0.2, 32,
                100_000_000L);
    }

    public Scenario withWorkers(List<WorkerSpec> newWorkers, int newSlowedWorker) {
        return new Scenario(seed, durationNanos, newWorkers, newSlowedWorker, slowdownFactor, maxRunning,
                prefillBudget, loadSlowdown, arrivalCv, longPromptShare, overloadedWaiting, scrapeIntervalNanos);
    }

    public Scenario withDuration(double seconds) {
        return new Scenario(seed, seconds(seconds), workers, slowedWorker, slowdownFactor, maxRunning,
                prefillBudget, loadSlowdown, arrivalCv, longPromptShare, overloadedWaiting, scrapeIntervalNanos);
    }

    public Scenario withOverloadedWaiting(int waiting) {
        return new Scenario(seed, durationNanos, workers, slowedWorker, slowdownFactor, maxRunning,
                prefillBudget, loadSlowdown, arrivalCv, longPromptShare, waiting, scrapeIntervalNanos);
    }

    /** Start of the slowdown: a third of the way through the arrivals. */
    public long slowdownStartNanos() {
        return durationNanos / 3;
    }

    /** End of the slowdown: two thirds of the way through the arrivals. */
    public long slowdownEndNanos() {
        return 2 * (durationNanos / 3);
    }

    /** The speed multiplier (≥ 1, applied to prefill and ITL) of worker {@code index} at {@code nanos}. */
    public double speed(int index, long nanos) {
        return index == slowedWorker && nanos >= slowdownStartNanos() && nanos < slowdownEndNanos()
                ? slowdownFactor : 1.0;
    }

    /** The TTFT that counts as good for a prompt of this size. */
    public static long ttftLimitNanos(int promptTokens) {
        return promptTokens < LONG_PROMPT_TOKENS ? SHORT_TTFT_LIMIT_NANOS : LONG_TTFT_LIMIT_NANOS;
    }

    static long seconds(double seconds) {
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("duration: " + seconds + " s (expected > 0)");
        }
        return Math.round(seconds * 1e9);
    }
}
