package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimFaults;
import ai.qubittron.bastion.sim.SimStats;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The simulated inference engine shared by every connection of a worker: the batch of running
 * sequences (at most {@link SimConfig#maxRunning()}), the FIFO queue of waiting ones, the per-model
 * counters, the fault draw and the statistics.
 *
 * <p>Thread role: called from every event loop of the worker, and from any thread for
 * {@link #reconfigure}, {@link #faults(SimFaults)} and {@link #stats()}. Lock-free: the running count
 * is an atomic admitted by compare-and-set, the waiting queue a {@link ConcurrentLinkedQueue}; a
 * sequence is started on its own channel's event loop, so its timers and writes never cross threads.
 * Every change that can free a slot or add a waiter calls {@link #drain()}, which keeps admitting while
 * a slot is free and someone waits, so no waiter is left behind.
 */
public final class SimEngine {

    private final long seed;
    private final Map<String, ModelState> models;
    private final long createdSeconds = System.currentTimeMillis() / 1000;
    private final String idSalt = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    private final AtomicLong ids = new AtomicLong();
    private final Random faultRandom;
    private volatile SimConfig config;
    private volatile SimFaults faults;

    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final ConcurrentLinkedQueue<Sequence> queue = new ConcurrentLinkedQueue<>();

    private final LongAdder received = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder errorsInjected = new LongAdder();

    public SimEngine(List<String> modelIds, SimConfig config, SimFaults faults, long seed) {
        Map<String, ModelState> m = new LinkedHashMap<>();
        for (String id : modelIds) {
            m.put(id, new ModelState(id));
        }
        this.models = m;
        this.config = config;
        this.faults = faults;
        this.seed = seed;
        this.faultRandom = new Random(seed);
    }

    public long seed() {
        return seed;
    }

    public SimConfig config() {
        return config;
    }

    /** Applies {@code c} to the next token of every sequence, and admits waiters if slots were added. */
    public void reconfigure(SimConfig c) {
        this.config = c;
        drain();
    }

    public SimFaults faults() {
        return faults;
    }

    public void faults(SimFaults f) {
        this.faults = f;
    }

    /** The served model, or null. */
    public ModelState model(String id) {
        return models.get(id);
    }

    public Collection<ModelState> models() {
        return models.values();
    }

    /** When the worker started, in epoch seconds ({@code created} of {@code /v1/models}). */
    public long createdSeconds() {
        return createdSeconds;
    }

    /** A new id: {@code prefix} and 32 hex digits, unique within this worker. */
    public String nextId(String prefix) {
        String n = Long.toHexString(ids.incrementAndGet());
        return prefix + idSalt + "0000000000000000".substring(n.length()) + n;
    }

    /** Draws whether this request fails, with {@link SimFaults#errorRate()} from the seeded random. */
    public boolean drawFailure() {
        double rate = faults.errorRate();
        if (rate <= 0.0) {
            return false;
        }
        return rate >= 1.0 || faultRandom.nextDouble() < rate;
    }

    /** Sequences running now, across models. */
    public int running() {
        return running.get();
    }

    void enqueue(Sequence s) {
        waiting.incrementAndGet();
        s.model().waiting.incrementAndGet();
        queue.add(s);
        drain();
    }

    /** Admits waiters, oldest first, while a running slot is free. Any thread. */
    private void drain() {
        for (;;) {
            int r = running.get();
            if (r >= config.maxRunning() || queue.isEmpty()) {
                return;
            }
            if (!running.compareAndSet(r, r + 1)) {
                continue;
            }
            Sequence s = queue.poll();
            if (s == null) {
                running.decrementAndGet();
                continue;
            }
            ModelState m = s.model();
            waiting.decrementAndGet();
            m.waiting.decrementAndGet();
            m.running.incrementAndGet();
            m.kvTokens.addAndGet(s.request().promptTokens());
            if (!s.admit()) { // cancelled while waiting: it already counted itself
                m.running.decrementAndGet();
                m.kvTokens.addAndGet(-s.request().promptTokens());
                running.decrementAndGet();
                continue;
            }
            try {
                s.channel().eventLoop().execute(s::start);
            } catch (RejectedExecutionException e) {
                // the worker is shutting down: the sequence will never run
                release(s, false);
            }
        }
    }

    /** A running sequence ended (its slot is free); counts a success when {@code succeeded}. */
    void release(Sequence s, boolean succeeded) {
        ModelState m = s.model();
        m.running.decrementAndGet();
        m.kvTokens.addAndGet(-s.kvTokens());
        if (succeeded) {
            m.success.increment();
            m.promptTokens.add(s.request().promptTokens());
            m.generationTokens.add(s.completionTokens());
        }
        running.decrementAndGet();
        drain();
    }

    /** A waiting sequence was cancelled: takes it out of the queue unless an admission already did. */
    void removeWaiting(Sequence s) {
        if (queue.remove(s)) {
            waiting.decrementAndGet();
            s.model().waiting.decrementAndGet();
        }
    }

    /**
     * An audio answer (transcription or speech) was written in full: counts a completed request and a
     * success of {@code m}. Audio takes no running slot, so there is none to free.
     */
    void recordAudioCompleted(ModelState m) {
        m.success.increment();
        completed.increment();
    }

    public void recordReceived() {
        received.increment();
    }

    void recordCompleted() {
        completed.increment();
    }

    void recordCancelled() {
        cancelled.increment();
    }

    public void recordErrorInjected() {
        errorsInjected.increment();
    }

    public SimStats stats() {
        return new SimStats(received.sum(), completed.sum(), cancelled.sum(), running.get(), waiting.get(),
                errorsInjected.sum());
    }
}
