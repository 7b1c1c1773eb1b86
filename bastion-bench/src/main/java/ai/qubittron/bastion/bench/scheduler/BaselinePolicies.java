package ai.qubittron.bastion.bench.scheduler;

import java.util.SplittableRandom;

/** The load-balancing policies Bastion's scheduler is compared with; none uses any latency information. */
final class BaselinePolicies {

    private BaselinePolicies() {
    }

    /** Workers in turn. */
    static final class RoundRobin implements RoutingPolicy {
        private final int n;
        private int next;

        RoundRobin(Context c) {
            this.n = c.workers().length;
        }

        @Override
        public int pick(SimRequest request, long now) {
            int k = next;
            next = (next + 1) % n;
            return k;
        }
    }

    /** A uniformly random worker. */
    static final class Random implements RoutingPolicy {
        private final int n;
        private final SplittableRandom random;

        Random(Context c) {
            this.n = c.workers().length;
            this.random = c.random();
        }

        @Override
        public int pick(SimRequest request, long now) {
            return random.nextInt(n);
        }
    }

    /** The worker with the fewest requests in flight (sent, not finished); ties go to the first from a random start. */
    static final class LeastOutstanding implements RoutingPolicy {
        private final SimulatedWorker[] workers;
        private final SplittableRandom random;

        LeastOutstanding(Context c) {
            this.workers = c.workers();
            this.random = c.random();
        }

        @Override
        public int pick(SimRequest request, long now) {
            int n = workers.length;
            int start = random.nextInt(n);
            int best = start;
            for (int k = 1; k < n; k++) {
                int i = (start + k) % n;
                if (workers[i].inFlight() < workers[best].inFlight()) {
                    best = i;
                }
            }
            return best;
        }
    }

    /** Power of two choices: of two distinct random workers, the one with fewer requests in flight. */
    static final class TwoChoices implements RoutingPolicy {
        private final SimulatedWorker[] workers;
        private final SplittableRandom random;

        TwoChoices(Context c) {
            this.workers = c.workers();
            this.random = c.random();
        }

        @Override
        public int pick(SimRequest request, long now) {
            int n = workers.length;
            int a = random.nextInt(n);
            if (n == 1) {
                return a;
            }
            int b = random.nextInt(n - 1);
            if (b >= a) {
                b++;
            }
            return workers[b].inFlight() < workers[a].inFlight() ? b : a;
        }
    }
}
