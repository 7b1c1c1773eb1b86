package ai.qubittron.bastion.bench.scheduler;

import ai.qubittron.bastion.core.scheduler.Lease;
import ai.qubittron.bastion.core.scheduler.Scheduler;
import ai.qubittron.bastion.core.scheduler.SchedulerConfig;
import ai.qubittron.bastion.core.scheduler.WorkerState;

/**
 * Bastion's policy: the real {@link Scheduler} with the gateway's defaults, on the simulated clock and a
 * seeded random source, driven as the gateway's relay drives it: one caller-owned {@link Lease} per
 * request filled by {@link Scheduler#pick(String, long, java.util.Set, Lease)} with the true prompt size,
 * {@link Lease#firstToken} at the first token, {@link Lease#token} at each later one (once per engine
 * step, as the relay sees the stream), {@link Lease#succeeded} at the end. The metrics filter of the
 * gateway is emulated at each scrape: a worker is {@linkplain WorkerState#overloaded(boolean) overloaded}
 * while its engine has {@link Scenario#overloadedWaiting()} or more requests waiting. When every worker
 * is flagged the pick fails and the {@link Simulation} holds the request at the gateway until a retry
 * succeeds.
 */
final class BastionPolicy implements RoutingPolicy {

    static final String MODEL = "sim-model";

    private final Scheduler scheduler;
    private final SimulatedWorker[] workers;
    private final WorkerState[] states;
    private final Lease[] leases;
    private final int overloadedWaiting;

    BastionPolicy(Context c) {
        this(c, SchedulerConfig.defaults());
    }

    BastionPolicy(Context c, SchedulerConfig config) {
        this.scheduler = new Scheduler(config, c.clock(), c::random);
        this.workers = c.workers();
        this.states = new WorkerState[workers.length];
        for (int i = 0; i < workers.length; i++) {
            // as the gateway adds them: no estimate given, so the peers' median (the defaults for the first)
            states[i] = scheduler.addWorker(MODEL, workers[i].name(), workers[i]);
        }
        this.leases = new Lease[c.requests()];
        this.overloadedWaiting = c.scenario().overloadedWaiting();
    }

    @Override
    public int pick(SimRequest request, long now) {
        Lease lease = leases[request.id];
        if (lease == null) {
            lease = new Lease();
            leases[request.id] = lease;
        }
        if (!scheduler.pick(MODEL, request.promptTokens, null, lease)) {
            return -1;
        }
        return ((SimulatedWorker) lease.endpoint()).index;
    }

    @Override
    public void firstToken(SimRequest request, long now) {
        leases[request.id].firstToken(now);
    }

    @Override
    public void token(SimRequest request, long now) {
        leases[request.id].token(now);
    }

    @Override
    public void finished(SimRequest request, long now) {
        leases[request.id].succeeded(now);
    }

    @Override
    public void scrape(long now) {
        for (int i = 0; i < workers.length; i++) {
            states[i].overloaded(workers[i].waiting() >= overloadedWaiting);
        }
    }

    /** The scheduler's view of each worker, in worker order (for tests and the report). */
    WorkerState[] states() {
        return states.clone();
    }
}
