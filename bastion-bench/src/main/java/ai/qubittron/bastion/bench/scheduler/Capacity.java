package ai.qubittron.bastion.bench.scheduler;

import java.util.List;

/**
 * The cluster's capacity in requests per second, measured by a saturation run of the simulator: each
 * worker alone, at its nominal speed, with at least {@value #BACKLOG} requests always waiting (so its
 * batch stays full and every step prefills its whole budget) for {@value #MEASURED_SECONDS} simulated
 * seconds after a {@value #WARMUP_SECONDS} s warm-up, on the scenario's request-size mix drawn from a fixed
 * seed. The cluster's capacity is the sum over its workers: what a perfect balancer could sustain.
 * Load levels are fractions of this nominal capacity; during the slowdown the cluster has less
 * ({@link #duringSlowdown}).
 */
record Capacity(double[] perWorker, double nominal, double duringSlowdown) {

    static final int BACKLOG = 64;
    static final double WARMUP_SECONDS = 100;
    static final double MEASURED_SECONDS = 20_000;
    private static final long SIZES_SEED = 0xCA9AC17EL;

    static Capacity of(Scenario scenario) {
        List<Scenario.WorkerSpec> specs = scenario.workers();
        double[] perWorker = new double[specs.size()];
        double nominal = 0;
        for (int i = 0; i < perWorker.length; i++) {
            perWorker[i] = saturatedThroughput(scenario.withWorkers(List.of(specs.get(i)), -1));
            nominal += perWorker[i];
        }
        double slowed = scenario.slowedWorker() < 0 ? 0
                : perWorker[scenario.slowedWorker()] * (1 - 1 / scenario.slowdownFactor());
        return new Capacity(perWorker, nominal, nominal - slowed);
    }

    /** Requests per second one worker (the scenario's only one) completes with an endless backlog. */
    static double saturatedThroughput(Scenario single) {
        long warmup = Scenario.seconds(WARMUP_SECONDS);
        long end = warmup + Scenario.seconds(MEASURED_SECONDS);
        int[] completed = new int[1];
        SimulatedWorker worker = new SimulatedWorker(0, single, new SimulatedWorker.Events() {
            @Override
            public void firstToken(SimRequest request, long now) {
            }

            @Override
            public void token(SimRequest request, long now) {
            }

            @Override
            public void finished(SimRequest request, long now) {
                if (now > warmup && now <= end) {
                    completed[0]++;
                }
            }
        });
        Workload.Sizes sizes = new Workload.Sizes(SIZES_SEED, single.longPromptShare());
        int id = 0;
        for (long now = 0; now <= end; now = worker.stepEndNanos()) {
            if (now > 0) {
                worker.endStep(now);
            }
            while (worker.waiting() < BACKLOG) {
                worker.submit(new SimRequest(id++, now, sizes.prompt(), sizes.output()), now);
            }
        }
        return completed[0] / MEASURED_SECONDS;
    }

    /** The slowed worker's share of the cluster's capacity while it is slowed (what an ideal balancer gives it). */
    double slowedShareDuring(Scenario scenario) {
        int s = scenario.slowedWorker();
        return s < 0 ? Double.NaN : perWorker[s] / scenario.slowdownFactor() / duringSlowdown;
    }

    /** The slowed worker's share of the cluster's capacity before it is slowed. */
    double slowedShareBefore(Scenario scenario) {
        int s = scenario.slowedWorker();
        return s < 0 ? Double.NaN : perWorker[s] / nominal;
    }
}
