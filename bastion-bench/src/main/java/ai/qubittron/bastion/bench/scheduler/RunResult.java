package ai.qubittron.bastion.bench.scheduler;

import java.util.Arrays;

/**
 * The measurements of one run (one policy at one load). Latencies are from the request's arrival at the
 * gateway, so time held there counts; percentiles are exact (nearest rank over every request).
 *
 * <p>{@code outputTokensPerSecond}: tokens emitted while arrivals last ({@code [0, duration]}), per second.
 * {@code goodput}: the fraction of requests whose TTFT met {@link Scenario#ttftLimitNanos}.
 *
 * <p>The slowed worker: its share of the picks before the slowdown ({@code [0, start)}) and over the
 * slowdown's second half ({@code late}, the settled state); its share of the prompt tokens picked (of the
 * prefill work, which is what a policy should move away from a slow worker: one that minimises TTFT may
 * well keep sending it short prompts) before, over the slowdown's first {@value #EARLY_SECONDS} s, and late.
 * {@code halvedAfterSeconds}: the first whole second after the slowdown began at which the prompt-token
 * share of the trailing {@value #EARLY_SECONDS} s (picks since the start only) was below half the share
 * before; NaN ("never") if the late share is not below half, so that a chance dip of a policy that does not
 * react is not reported as a reaction.
 */
record RunResult(RoutingPolicy.Kind kind, double ratePerSecond, int requests, long ttftP50Nanos, long ttftP99Nanos,
                 long e2eP99Nanos, double outputTokensPerSecond, double goodput, double pickShareBefore,
                 double pickShareLate, double tokenShareBefore, double tokenShareEarly, double tokenShareLate,
                 double halvedAfterSeconds, int heldByGateway) {

    static final int EARLY_SECONDS = 10;

    /** Collects a run's events; single-threaded. */
    static final class Recorder {
        private final Scenario scenario;
        private final RoutingPolicy.Kind kind;
        private final Workload workload;
        private final SimRequest[] requests;
        private final long[] pickNanos;
        private final int[] pickWorker;
        private final int[] pickPrompt;
        private int picks;
        private long[] picksPrefix;
        private long[] slowedPrefix;
        private long[] tokensPrefix;
        private long[] slowedTokensPrefix;
        private long tokensInWindow;
        private int held;

        Recorder(Scenario scenario, RoutingPolicy.Kind kind, Workload workload, SimRequest[] requests) {
            this.scenario = scenario;
            this.kind = kind;
            this.workload = workload;
            this.requests = requests;
            this.pickNanos = new long[requests.length];
            this.pickWorker = new int[requests.length];
            this.pickPrompt = new int[requests.length];
        }

        void picked(SimRequest r, int worker, long now) {
            pickNanos[picks] = now;
            pickWorker[picks] = worker;
            pickPrompt[picks] = r.promptTokens;
            picks++;
            if (now != r.arrivalNanos) {
                held++;
            }
        }

        void tokens(int n, long now) {
            if (now <= scenario.durationNanos()) {
                tokensInWindow += n;
            }
        }

        RunResult result() {
            int n = requests.length;
            long[] ttft = new long[n];
            long[] e2e = new long[n];
            int good = 0;
            for (int i = 0; i < n; i++) {
                SimRequest r = requests[i];
                if (!r.finished()) {
                    throw new IllegalStateException("request " + r.id + " did not finish");
                }
                ttft[i] = r.firstTokenNanos - r.arrivalNanos;
                e2e[i] = r.endNanos - r.arrivalNanos;
                if (ttft[i] <= Scenario.ttftLimitNanos(r.promptTokens)) {
                    good++;
                }
            }
            Arrays.sort(ttft);
            Arrays.sort(e2e);
            long s0 = scenario.slowdownStartNanos();
            long s1 = scenario.slowdownEndNanos();
            long late = s0 + (s1 - s0) / 2;
            long second = 1_000_000_000L;
            double tokensBefore = share(0, s0, true);
            double tokensLate = share(late, s1, true);
            return new RunResult(kind, workload.ratePerSecond, n, percentile(ttft, 0.50), percentile(ttft, 0.99),
                    percentile(e2e, 0.99), tokensInWindow / (scenario.durationNanos() / 1e9),
                    n == 0 ? 1 : (double) good / n, share(0, s0, false), share(late, s1, false), tokensBefore,
                    share(s0, Math.min(s1, s0 + EARLY_SECONDS * second), true), tokensLate,
                    tokensLate < tokensBefore / 2 ? halvedAfter(tokensBefore) : Double.NaN, held);
        }

        /** The slowed worker's share of the picks (or of their prompt tokens) made in {@code [from, to)}; NaN if none. */
        private double share(long from, long to, boolean byTokens) {
            if (slowedPrefix == null) {
                buildPrefixSums();
            }
            int a = firstPickAtOrAfter(from);
            int b = firstPickAtOrAfter(to);
            long[] all = byTokens ? tokensPrefix : picksPrefix;
            long[] slowed = byTokens ? slowedTokensPrefix : slowedPrefix;
            long total = all[b] - all[a];
            return total == 0 ? Double.NaN : (double) (slowed[b] - slowed[a]) / total;
        }

        /** Picks are recorded in time order, so shares over any interval are differences of prefix sums. */
        private void buildPrefixSums() {
            picksPrefix = new long[picks + 1];
            slowedPrefix = new long[picks + 1];
            tokensPrefix = new long[picks + 1];
            slowedTokensPrefix = new long[picks + 1];
            for (int i = 0; i < picks; i++) {
                boolean slowed = pickWorker[i] == scenario.slowedWorker();
                picksPrefix[i + 1] = picksPrefix[i] + 1;
                slowedPrefix[i + 1] = slowedPrefix[i] + (slowed ? 1 : 0);
                tokensPrefix[i + 1] = tokensPrefix[i] + pickPrompt[i];
                slowedTokensPrefix[i + 1] = slowedTokensPrefix[i] + (slowed ? pickPrompt[i] : 0);
            }
        }

        private int firstPickAtOrAfter(long nanos) {
            int lo = 0;
            int hi = picks;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (pickNanos[mid] < nanos) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        private double halvedAfter(double before) {
            long s0 = scenario.slowdownStartNanos();
            long second = 1_000_000_000L;
            for (long end = s0 + second; end <= scenario.slowdownEndNanos(); end += second) {
                double w = share(Math.max(s0, end - EARLY_SECONDS * second), end, true);
                if (w < before / 2) { // NaN (no pick) is not below
                    return (end - s0) / 1e9;
                }
            }
            return Double.NaN;
        }
    }

    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }
}
