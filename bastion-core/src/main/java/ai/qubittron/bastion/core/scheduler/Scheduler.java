package ai.qubittron.bastion.core.scheduler;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Chooses the upstream worker for each request: per model, the worker with the shortest predicted time
 * to first token ({@link WorkerState#cost}), by a full scan when a model has at most
 * {@value #FULL_SCAN_MAX} workers and by power-of-two-choices above that. Pure: no I/O, no lock, and a
 * pick into a caller-owned {@link Lease} allocates nothing.
 *
 * <p><b>Table.</b> Each model's workers are an immutable {@code WorkerState[]} in an
 * {@link AtomicReference}; {@link #addWorker}, {@link #drain} and {@link #remove} replace it by
 * copy-on-write (CAS retry), so picks never see a half-built table. A draining worker stays in the table
 * (visible in {@link #workers}) but gets no pick; a removed one leaves it. Dropping a drained worker once
 * its {@link WorkerState#inFlight()} reaches 0 is the caller's business.
 *
 * <p><b>Availability.</b> A pick skips draining workers, OPEN workers still in backoff, a HALF_OPEN worker
 * (its probe is in flight) and excluded ones; an OPEN worker past its backoff may win the pick and then
 * becomes the single probe. A {@linkplain WorkerState#saturated() saturated} worker (at its in-flight cap, or
 * flagged overloaded) is skipped too. {@code null} means nothing is available; {@link #saturated} then tells
 * "all busy, wait" from "none up".
 *
 * <p><b>Randomness.</b> Power-of-two sampling and the start of a scan (which spreads ties) draw from
 * {@link ThreadLocalRandom} unless the constructor is given another source: a seeded one makes a
 * single-threaded sequence of picks reproducible (tests, simulations).
 *
 * <p><b>Threads.</b> Every method is safe from any thread; {@link #pick} is meant for event loops.
 */
public final class Scheduler {

    /**
     * Up to this many workers a pick scans them all; above, it samples two. A scan costs one
     * {@link WorkerState#cost} per worker (a few reads, tens of nanoseconds for 16) and finds the best
     * worker, where two samples among 8 miss it most of the time; sampling is for pools so large that a
     * scan would cost more than the better choice is worth.
     */
    public static final int FULL_SCAN_MAX = 16;

    private static final WorkerState[] EMPTY = new WorkerState[0];

    private final SchedulerConfig config;
    private final LongSupplier nanoClock;
    private final Supplier<? extends RandomGenerator> random;
    private final ConcurrentMap<String, AtomicReference<WorkerState[]>> models = new ConcurrentHashMap<>();

    /**
     * A scheduler on {@link System#nanoTime()}, with no model and no worker yet.
     *
     * @param config its settings (circuit, estimates, in-flight cap)
     */
    public Scheduler(SchedulerConfig config) {
        this(config, System::nanoTime);
    }

    /**
     * A scheduler on the given nanosecond clock, which every {@link Lease} timestamp must also use.
     *
     * @param config    its settings
     * @param nanoClock a monotonic clock in nanoseconds, safe from any thread (tests pass a fake one)
     */
    public Scheduler(SchedulerConfig config, LongSupplier nanoClock) {
        this(config, nanoClock, ThreadLocalRandom::current);
    }

    /**
     * A scheduler on the given clock that draws its random choices from {@code random}, called on the
     * picking thread for every pick. The generator it returns must be safe for the threads that pick:
     * {@code ThreadLocalRandom::current} (the default) for any thread, a single seeded generator only when
     * one thread picks.
     *
     * @param config    its settings
     * @param nanoClock a monotonic clock in nanoseconds, safe from any thread
     * @param random    gives the generator of each pick
     */
    public Scheduler(SchedulerConfig config, LongSupplier nanoClock, Supplier<? extends RandomGenerator> random) {
        this.config = Objects.requireNonNull(config, "config");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** {@return the settings it was built with} */
    public SchedulerConfig config() {
        return config;
    }

    /**
     * Adds a worker to {@code model} starting from its peers' median estimates (the config defaults when
     * it has none), with the ramp-up described in {@link WorkerState} when a peer has already served.
     * New picks may choose it at once. Any thread; racing additions of one name let one win.
     *
     * @param model    the model's canonical id (a model's table is made on its first worker)
     * @param name     the worker's name, unique within the model (the gateway uses its base URI)
     * @param endpoint the caller's object for the worker, returned by {@link Lease#endpoint()}; may be null
     * @return the worker's live state
     * @throws IllegalArgumentException if the model already has a worker of that name
     */
    public WorkerState addWorker(String model, String name, Object endpoint) {
        WorkerState[] peers = table(model).get();
        double ttft = config.defaultTtftPerTokenSeconds();
        double itl = config.defaultItlSeconds();
        if (peers.length > 0) {
            double[] t = new double[peers.length];
            double[] i = new double[peers.length];
            for (int k = 0; k < peers.length; k++) {
                t[k] = peers[k].ttftPerTokenSeconds();
                i[k] = peers[k].itlSeconds();
            }
            ttft = median(t);
            itl = median(i);
        }
        return addWorker(model, name, endpoint, ttft, itl);
    }

    /**
     * Adds a worker to {@code model} with explicit initial estimates (ramping up as in
     * {@link #addWorker(String, String, Object)}).
     *
     * @param model                      the model's canonical id
     * @param name                       the worker's name, unique within the model
     * @param endpoint                   the caller's object for the worker; may be null
     * @param initialTtftPerTokenSeconds the starting TTFT estimate, seconds per prompt token
     * @param initialItlSeconds          the starting inter-token latency estimate, seconds
     * @return the worker's live state
     * @throws IllegalArgumentException if the model already has a worker of that name, or an estimate is
     *     negative or not finite
     */
    public WorkerState addWorker(String model, String name, Object endpoint,
                                 double initialTtftPerTokenSeconds, double initialItlSeconds) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(name, "name");
        checkEstimate("initialTtftPerTokenSeconds", initialTtftPerTokenSeconds);
        checkEstimate("initialItlSeconds", initialItlSeconds);
        AtomicReference<WorkerState[]> ref = table(model);
        boolean warmPeer = false;
        for (WorkerState peer : ref.get()) {
            warmPeer |= peer.served();
        }
        WorkerState worker = new WorkerState(name, endpoint, config, nanoClock,
                initialTtftPerTokenSeconds, initialItlSeconds, warmPeer);
        for (;;) {
            WorkerState[] cur = ref.get();
            for (WorkerState w : cur) {
                if (w.name().equals(name)) {
                    throw new IllegalArgumentException("name: " + name + " (already a worker of model " + model + ")");
                }
            }
            WorkerState[] next = Arrays.copyOf(cur, cur.length + 1);
            next[cur.length] = worker;
            if (ref.compareAndSet(cur, next)) {
                return worker;
            }
        }
    }

    /**
     * Stops new picks of {@code worker}; it stays listed in {@link #workers} until {@link #remove}d.
     * Once this returned and {@code worker.inFlight()} has been seen at 0, no lease can appear on it.
     * The worker is marked draining even when it is not in the table.
     *
     * @param model  the model's canonical id
     * @param worker a state returned by {@link #addWorker}
     * @return false if the worker is not in the model's table
     */
    public boolean drain(String model, WorkerState worker) {
        worker.markDraining();
        // a lookup, not table(model): draining under an unknown model must not list that model
        AtomicReference<WorkerState[]> ref = models.get(model);
        WorkerState[] cur = ref == null ? EMPTY : ref.get();
        for (WorkerState w : cur) {
            if (w == worker) {
                return true;
            }
        }
        return false;
    }

    /**
     * Drains {@code worker} and takes it out of the model's table. Its outstanding leases stay valid.
     *
     * @param model  the model's canonical id
     * @param worker a state returned by {@link #addWorker}
     * @return false if it was not in the table
     */
    public boolean remove(String model, WorkerState worker) {
        worker.markDraining(); // before the swap: a pick holding the old table re-checks this flag
        AtomicReference<WorkerState[]> ref = models.get(model);
        if (ref == null) {
            return false;
        }
        for (;;) {
            WorkerState[] cur = ref.get();
            int at = -1;
            for (int k = 0; k < cur.length; k++) {
                if (cur[k] == worker) {
                    at = k;
                    break;
                }
            }
            if (at < 0) {
                return false;
            }
            WorkerState[] next = new WorkerState[cur.length - 1];
            System.arraycopy(cur, 0, next, 0, at);
            System.arraycopy(cur, at + 1, next, at, cur.length - at - 1);
            if (ref.compareAndSet(cur, next)) {
                return true;
            }
        }
    }

    /** {@return the models that have (or had) a table, in no particular order; an unmodifiable live view} */
    public Set<String> models() {
        return Collections.unmodifiableSet(models.keySet());
    }

    /**
     * {@return a snapshot of the model's table, draining workers included; empty for an unknown model}
     *
     * @param model the model's canonical id
     */
    public List<WorkerState> workers(String model) {
        AtomicReference<WorkerState[]> ref = models.get(model);
        return ref == null ? List.of() : List.of(ref.get());
    }

    /**
     * Picks a worker for a request; allocates a new {@link Lease}.
     *
     * @param model        the model's canonical id
     * @param promptTokens the request's prompt tokens (an estimate), {@code >= 0}
     * @return the lease on the chosen worker, which the caller must end; null if none is available
     * @throws IllegalArgumentException when {@code promptTokens} is negative
     */
    public Lease pick(String model, long promptTokens) {
        return pick(model, promptTokens, null);
    }

    /**
     * Picks a worker not in {@code exclude} (by identity; null or empty for none), e.g. to retry a request
     * on another worker than the one that failed. Allocates a new {@link Lease}.
     *
     * @param model        the model's canonical id
     * @param promptTokens the request's prompt tokens (an estimate), {@code >= 0}
     * @param exclude      workers not to choose, or null
     * @return the lease on the chosen worker, which the caller must end; null if none is available
     * @throws IllegalArgumentException when {@code promptTokens} is negative
     */
    public Lease pick(String model, long promptTokens, Set<WorkerState> exclude) {
        Lease lease = new Lease();
        return pick(model, promptTokens, exclude, lease) ? lease : null;
    }

    /**
     * Picks like {@link #pick(String, long, Set)} into {@code into}, a lease of the caller's that is
     * {@linkplain Lease#released() released} (new, or done with its previous pick). Allocates nothing.
     *
     * @param model        the model's canonical id
     * @param promptTokens the request's prompt tokens (an estimate), {@code >= 0}
     * @param exclude      workers not to choose, or null
     * @param into         the caller's released lease, filled on success
     * @return true if {@code into} now holds a worker, false if none is available ({@code into} unchanged)
     * @throws IllegalStateException if {@code into} still holds a pick
     * @throws IllegalArgumentException when {@code promptTokens} is negative
     */
    public boolean pick(String model, long promptTokens, Set<WorkerState> exclude, Lease into) {
        if (!into.released()) {
            throw new IllegalStateException("into: " + into + " (still holds a pick; release it first)");
        }
        if (promptTokens < 0) {
            throw new IllegalArgumentException("promptTokens: " + promptTokens + " (expected >= 0)");
        }
        AtomicReference<WorkerState[]> ref = models.get(model);
        if (ref == null) {
            return false;
        }
        Set<WorkerState> skip = exclude == null || exclude.isEmpty() ? null : exclude;
        WorkerState[] table = ref.get();
        int n = table.length;
        // A chosen worker can still refuse (lost the probe race, began draining): its state then makes it
        // ineligible, so choosing again terminates; n + 1 rounds bound it even under adversarial races.
        RandomGenerator rng = random.get();
        for (int round = 0; round <= n; round++) {
            long now = nanoClock.getAsLong();
            WorkerState chosen = n > FULL_SCAN_MAX ? twoChoices(table, promptTokens, skip, now, rng) : null;
            if (chosen == null) {
                chosen = scan(table, promptTokens, skip, now, rng);
            }
            if (chosen == null) {
                return false;
            }
            if (chosen.tryAcquire(promptTokens, now, into)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code model} has a worker that could serve were it not saturated: not draining, not excluded,
     * circuit not open in backoff. After a failed pick, true means "wait and retry", false "none is up".
     *
     * @param model   the model's canonical id
     * @param exclude workers not to count, or null
     * @return whether a worker is up but saturated
     */
    public boolean saturated(String model, Set<WorkerState> exclude) {
        AtomicReference<WorkerState[]> ref = models.get(model);
        if (ref == null) {
            return false;
        }
        long now = nanoClock.getAsLong();
        for (WorkerState w : ref.get()) {
            if (w.eligible(now) && (exclude == null || !exclude.contains(w)) && w.saturated()) {
                return true;
            }
        }
        return false;
    }

    /** Power of two choices; null when neither sample is usable, so the caller scans. */
    private static WorkerState twoChoices(WorkerState[] table, long promptTokens, Set<WorkerState> skip, long now,
                                          RandomGenerator random) {
        int n = table.length;
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++;
        }
        WorkerState a = usable(table[i], skip, now) ? table[i] : null;
        WorkerState b = usable(table[j], skip, now) ? table[j] : null;
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return b.cost(promptTokens) < a.cost(promptTokens) ? b : a;
    }

    /** The cheapest usable worker; starts at a random index to spread ties. */
    private static WorkerState scan(WorkerState[] table, long promptTokens, Set<WorkerState> skip, long now,
                                    RandomGenerator random) {
        int n = table.length;
        if (n == 0) {
            return null;
        }
        int start = n == 1 ? 0 : random.nextInt(n);
        WorkerState best = null;
        double bestCost = 0;
        for (int k = 0, at = start; k < n; k++, at = at + 1 == n ? 0 : at + 1) { // no division per step
            WorkerState w = table[at];
            if (!usable(w, skip, now)) {
                continue;
            }
            double c = w.cost(promptTokens);
            if (best == null || c < bestCost) {
                best = w;
                bestCost = c;
            }
        }
        return best;
    }

    private static boolean usable(WorkerState w, Set<WorkerState> skip, long now) {
        return w.eligible(now) && !w.saturated() && (skip == null || !skip.contains(w));
    }

    private AtomicReference<WorkerState[]> table(String model) {
        return models.computeIfAbsent(model, m -> new AtomicReference<>(EMPTY));
    }

    private static double median(double[] values) {
        Arrays.sort(values);
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static void checkEstimate(String field, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + ": " + value + " (expected finite >= 0)");
        }
    }
}
