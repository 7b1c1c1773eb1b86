package ai.qubittron.bastion.bench.scheduler;

import java.util.SplittableRandom;

/**
 * The reference: the worker with the smallest TTFT for this request, predicted by
 * {@link SimulatedWorker#predictTtft} from each worker's true queue, running set (with each sequence's
 * progress) and current speed, slowdown included: everything the engines know, none of the gateway's
 * estimation. Like an engine, it does not know how long outputs will be, and expects the mean; a
 * clairvoyant oracle (for comparison in tests) knows them, and its prediction is then exact unless later
 * arrivals join the batch or the speed changes. Greedy either way, so not an optimum for the workload as a
 * whole.
 */
final class OraclePolicy implements RoutingPolicy {

    private final SimulatedWorker[] workers;
    private final SplittableRandom random;

    private final boolean clairvoyant;

    OraclePolicy(Context c, boolean clairvoyant) {
        this.workers = c.workers();
        this.random = c.random();
        this.clairvoyant = clairvoyant;
    }

    @Override
    public int pick(SimRequest request, long now) {
        int n = workers.length;
        int start = random.nextInt(n);
        int best = -1;
        long bestTtft = Long.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            long ttft = workers[i].predictTtft(now, request.promptTokens, bestTtft, clairvoyant);
            if (best < 0 || ttft < bestTtft) {
                best = i;
                bestTtft = ttft;
            }
        }
        return best;
    }
}
