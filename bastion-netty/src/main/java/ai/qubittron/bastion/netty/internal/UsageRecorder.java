package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.netty.usage.KeyLoad;
import ai.qubittron.bastion.netty.usage.KeyUsage;
import ai.qubittron.bastion.netty.usage.ModelLatency;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What this node saw of its traffic, for the admin API: settled usage per key, model and minute for the
 * last {@value #MINUTES} minutes; each key's admitted requests and tokens this minute (how near its rate
 * limits it is); when each key was last authenticated; and per model, the time to first token and the
 * output tokens of the requests that ended in the last {@value #WINDOW_SECONDS} seconds. In memory, per
 * node, lost on restart.
 *
 * <p><b>Hot path.</b> The recording methods ({@link #authenticated}, {@link #admitted}, {@link #settled},
 * {@link #latency}) are called on the event loops (and {@code settled} on whichever thread the ledger
 * answers on). They never block and take no lock of their own: a minute is a slot of an
 * {@link AtomicReferenceArray}, replaced by compare-and-set when the clock enters a new minute (the
 * minute it held, an hour old, is dropped); its entries are in {@link ConcurrentHashMap}s read without a
 * lock, and counted with atomic adds. Only the first event of a key (or a key × model pair) in a minute
 * inserts into a map. The TTFT goes into an HdrHistogram {@link Recorder} (wait-free for writers), the
 * tokens into a {@link LongAdder}. Nothing of a request's body is seen.
 *
 * <p><b>Bounded memory.</b> At most {@value #MINUTES} minutes; in each, at most {@code maxEntries} keys
 * and key × model pairs together (default {@value #DEFAULT_MAX_ENTRIES}); past that, a minute's new
 * pairs are summed into one {@link KeyUsage#OTHER} entry (and their keys' limits use is not tracked).
 * Last-used times for at most {@value #MAX_LAST_USED_KEYS} keys (keys past that show none). One latency
 * window per catalog model (the gateway only records catalog ids).
 *
 * <p><b>The latency window</b> is {@value #WINDOW_SECONDS} slots of one second: {@link #rotate()}, which
 * the gateway calls every second on a thread of its own, moves what was recorded since the last call
 * into the oldest slot. Readers see the last {@value #WINDOW_SECONDS} completed slots. {@code rotate} and
 * the readers synchronize with each other (never with the recorders).
 *
 * <p>Times are the injected clock's (epoch milliseconds), which tests move; TTFT is measured by the
 * caller on {@link System#nanoTime()}.
 */
public final class UsageRecorder {

    /** Minutes of settled usage kept: 60. */
    public static final int MINUTES = 60;
    /** Keys and key × model pairs a minute holds before the rest go to {@link KeyUsage#OTHER}: 10,000. */
    public static final int DEFAULT_MAX_ENTRIES = 10_000;
    /** Keys whose last use is remembered: 100,000. */
    public static final int MAX_LAST_USED_KEYS = 100_000;
    /** The latency window, in seconds (slots of one second): 10. */
    public static final int WINDOW_SECONDS = 10;
    /** The largest TTFT the histograms tell apart: one hour, in microseconds (longer ones count as it). */
    private static final long MAX_TTFT_MICROS = TimeUnit.HOURS.toMicros(1);

    private static final int REQUESTS = 0;
    private static final int INPUT = 1;
    private static final int OUTPUT = 2;
    private static final int SPENT = 3;
    private static final int TOKENS = 1;

    private final Clock clock;
    private final int maxEntries;
    private final AtomicReferenceArray<Minute> minutes = new AtomicReferenceArray<>(MINUTES);
    private final ConcurrentHashMap<String, LastUsed> lastUsed = new ConcurrentHashMap<>();
    private final AtomicInteger lastUsedKeys = new AtomicInteger();
    private final ConcurrentHashMap<String, ModelWindow> windows = new ConcurrentHashMap<>();

    /** A recorder on the system UTC clock, with the default cap. */
    public UsageRecorder() {
        this(Clock.systemUTC(), DEFAULT_MAX_ENTRIES);
    }

    /**
     * A recorder.
     *
     * @param clock      what tells the minute and the last-used time
     * @param maxEntries the keys and key × model pairs one minute holds, {@code >= 1}
     */
    public UsageRecorder(Clock clock, int maxEntries) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries: must be >= 1, got " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    // ---- recording: any thread, never blocks ----

    /**
     * The key was authenticated now (its last use). A volatile write at most once a second per key.
     *
     * @param keyId the key's public id
     */
    public void authenticated(String keyId) {
        long second = clock.millis() / 1000;
        LastUsed used = lastUsed.get(keyId);
        if (used == null) {
            if (lastUsedKeys.get() >= MAX_LAST_USED_KEYS) {
                return;
            }
            used = lastUsed.computeIfAbsent(keyId, k -> {
                lastUsedKeys.incrementAndGet();
                return new LastUsed();
            });
        }
        if (used.second != second) {
            used.second = second;
        }
    }

    /**
     * The rate limiter admitted a request of the key (or there is none): it counts toward this minute's
     * use of the key's limits.
     *
     * @param principal the key
     * @param tokens    the tokens it was admitted for
     */
    public void admitted(ApiPrincipal principal, long tokens) {
        Minute minute = minute(clock.millis());
        if (minute == null) {
            return;
        }
        KeyMinute key = minute.key(principal);
        if (key != null) {
            key.load.getAndIncrement(REQUESTS);
            key.load.getAndAdd(TOKENS, Math.max(0, tokens));
        }
    }

    /**
     * A request of the key was settled: counted in this minute's usage of the key and model.
     *
     * @param principal    the key
     * @param model        the catalog model's id
     * @param inputTokens  input tokens billed
     * @param outputTokens output tokens billed
     * @param spentMicros  what the ledger charged
     */
    public void settled(ApiPrincipal principal, String model, long inputTokens, long outputTokens, long spentMicros) {
        Minute minute = minute(clock.millis());
        if (minute == null) {
            return;
        }
        AtomicLongArray counters = minute.counters(principal, model);
        counters.getAndIncrement(REQUESTS);
        counters.getAndAdd(INPUT, Math.max(0, inputTokens));
        counters.getAndAdd(OUTPUT, Math.max(0, outputTokens));
        counters.getAndAdd(SPENT, Math.max(0, spentMicros));
    }

    /**
     * A request of the model ended with a first token (or, not streamed, a successful first byte).
     *
     * @param model        the catalog model's id
     * @param ttftNanos    from the whole request to its first token (or byte)
     * @param outputTokens its output tokens
     */
    public void latency(String model, long ttftNanos, long outputTokens) {
        ModelWindow window = windows.get(model);
        if (window == null) {
            window = windows.computeIfAbsent(model, m -> new ModelWindow());
        }
        window.recorder.recordValue(Math.max(1, Math.min(MAX_TTFT_MICROS, TimeUnit.NANOSECONDS.toMicros(ttftNanos))));
        window.tokens.add(Math.max(0, outputTokens));
    }

    /**
     * Moves what each model recorded since the last call into its window's oldest slot. Called once a
     * second, off the event loops (it waits for recorders in the middle of a record, briefly).
     */
    public void rotate() {
        for (ModelWindow window : windows.values()) {
            window.rotate();
        }
    }

    // ---- reading: any thread; copies ----

    /**
     * {@return the settled usage of the last {@code minutes} minutes (the current one included), oldest
     * minute first, then by key id and model; the {@link KeyUsage#OTHER} entry of a minute last}
     *
     * @param minutes how many minutes, 1 to {@value #MINUTES}
     * @throws IllegalArgumentException when {@code minutes} is out of range
     */
    public List<KeyUsage> usage(int minutes) {
        if (minutes < 1 || minutes > MINUTES) {
            throw new IllegalArgumentException("minutes: must be between 1 and " + MINUTES + ", got " + minutes);
        }
        long now = clock.millis() / 60_000;
        List<Minute> kept = new ArrayList<>();
        for (int i = 0; i < MINUTES; i++) {
            Minute m = this.minutes.get(i);
            if (m != null && m.minute > now - minutes && m.minute <= now) {
                kept.add(m);
            }
        }
        kept.sort(Comparator.comparingLong(m -> m.minute));
        List<KeyUsage> usage = new ArrayList<>();
        for (Minute m : kept) {
            long start = m.minute * 60;
            for (KeyMinute key : new TreeMap<>(m.keys).values()) {
                for (Map.Entry<String, AtomicLongArray> e : new TreeMap<>(key.models).entrySet()) {
                    AtomicLongArray c = e.getValue();
                    usage.add(new KeyUsage(start, key.keyId, key.accountId, e.getKey(), c.get(REQUESTS), c.get(INPUT),
                            c.get(OUTPUT), c.get(SPENT)));
                }
            }
            AtomicLongArray c = m.other;
            if (c.get(REQUESTS) > 0) {
                usage.add(new KeyUsage(start, KeyUsage.OTHER, KeyUsage.OTHER, KeyUsage.OTHER, c.get(REQUESTS),
                        c.get(INPUT), c.get(OUTPUT), c.get(SPENT)));
            }
        }
        return List.copyOf(usage);
    }

    /** {@return each key's admitted requests and tokens in the current minute, by key id} */
    public List<KeyLoad> keyLoad() {
        long now = clock.millis() / 60_000;
        Minute m = minutes.get((int) Math.floorMod(now, MINUTES));
        if (m == null || m.minute != now) {
            return List.of();
        }
        List<KeyLoad> load = new ArrayList<>();
        for (KeyMinute key : new TreeMap<>(m.keys).values()) {
            long requests = key.load.get(REQUESTS);
            if (requests > 0) {
                load.add(new KeyLoad(key.keyId, key.accountId, key.tier, requests, key.load.get(TOKENS)));
            }
        }
        return List.copyOf(load);
    }

    /**
     * {@return when this node last authenticated the key (to the second), or empty when it has not}
     *
     * @param keyId the key's public id
     */
    public Optional<Instant> lastUsed(String keyId) {
        LastUsed used = lastUsed.get(keyId);
        return used == null ? Optional.empty() : Optional.of(Instant.ofEpochSecond(used.second));
    }

    /** {@return each model's latency over the window, by model id; models with nothing recorded ever are absent} */
    public List<ModelLatency> modelLatency() {
        List<ModelLatency> all = new ArrayList<>();
        for (Map.Entry<String, ModelWindow> e : new TreeMap<>(windows).entrySet()) {
            all.add(e.getValue().snapshot(e.getKey()));
        }
        return List.copyOf(all);
    }

    /** The minute of {@code millis}, made when it is new; {@code null} for a minute older than the one in its slot. */
    private Minute minute(long millis) {
        long minute = millis / 60_000;
        int slot = (int) Math.floorMod(minute, MINUTES);
        for (;;) {
            Minute current = minutes.get(slot);
            if (current != null && current.minute == minute) {
                return current;
            }
            if (current != null && current.minute > minute) {
                // the clock stepped back an hour or more: not recorded
                return null;
            }
            Minute fresh = new Minute(minute);
            if (minutes.compareAndSet(slot, current, fresh)) {
                return fresh;
            }
        }
    }

    /** A key's last use, epoch seconds; written by event loops, read by the admin thread. */
    private static final class LastUsed {
        volatile long second;
    }

    /** One minute's usage: per key, its limits use and its models' counters. */
    private final class Minute {
        final long minute;
        final ConcurrentHashMap<String, KeyMinute> keys = new ConcurrentHashMap<>();
        /** Keys and key × model pairs held. */
        final AtomicInteger entries = new AtomicInteger();
        /** The pairs past the cap. */
        final AtomicLongArray other = new AtomicLongArray(4);

        Minute(long minute) {
            this.minute = minute;
        }

        /** The key's entry, made if there is room; {@code null} past the cap. */
        KeyMinute key(ApiPrincipal principal) {
            KeyMinute key = keys.get(principal.keyId());
            if (key != null || entries.get() >= maxEntries) {
                return key;
            }
            // a null from the mapping leaves no entry: the cap holds exactly, however many threads race
            return keys.computeIfAbsent(principal.keyId(), id -> reserveEntry() ? new KeyMinute(principal) : null);
        }

        /** The counters of the key and model, or {@link #other} past the cap. */
        AtomicLongArray counters(ApiPrincipal principal, String model) {
            KeyMinute key = key(principal);
            if (key == null) {
                return other;
            }
            AtomicLongArray counters = key.models.get(model);
            if (counters == null) {
                if (entries.get() >= maxEntries) {
                    return other;
                }
                counters = key.models.computeIfAbsent(model, m -> reserveEntry() ? new AtomicLongArray(4) : null);
            }
            return counters != null ? counters : other;
        }

        private boolean reserveEntry() {
            if (entries.incrementAndGet() > maxEntries) {
                entries.decrementAndGet();
                return false;
            }
            return true;
        }
    }

    /** One key in one minute: its admitted requests and tokens, and its settled usage per model. */
    private static final class KeyMinute {
        final String keyId;
        final String accountId;
        final String tier;
        /** [requests, tokens] admitted. */
        final AtomicLongArray load = new AtomicLongArray(2);
        /** Per model: [requests, input tokens, output tokens, micro-dollars] settled. */
        final ConcurrentHashMap<String, AtomicLongArray> models = new ConcurrentHashMap<>(4);

        KeyMinute(ApiPrincipal principal) {
            this.keyId = principal.keyId();
            this.accountId = principal.accountId();
            this.tier = principal.tier();
        }
    }

    /** One model's last seconds: a recorder the event loops write, and the slots {@link #rotate} fills. */
    private static final class ModelWindow {
        final Recorder recorder = new Recorder(1, MAX_TTFT_MICROS, 2);
        final LongAdder tokens = new LongAdder();
        /** Guarded by this: the slots, oldest at {@link #next}. */
        private final Histogram[] slots = new Histogram[WINDOW_SECONDS];
        private final long[] slotTokens = new long[WINDOW_SECONDS];
        private int next;

        ModelWindow() {
            for (int i = 0; i < WINDOW_SECONDS; i++) {
                slots[i] = new Histogram(1, MAX_TTFT_MICROS, 2);
            }
        }

        synchronized void rotate() {
            Histogram slot = slots[next];
            slot.reset();
            recorder.getIntervalHistogramInto(slot);
            slotTokens[next] = tokens.sumThenReset();
            next = (next + 1) % WINDOW_SECONDS;
        }

        synchronized ModelLatency snapshot(String model) {
            Histogram all = new Histogram(1, MAX_TTFT_MICROS, 2);
            long tokenSum = 0;
            for (int i = 0; i < WINDOW_SECONDS; i++) {
                all.add(slots[i]);
                tokenSum += slotTokens[i];
            }
            long count = all.getTotalCount();
            return new ModelLatency(model, count,
                    count == 0 ? 0 : all.getValueAtPercentile(50) / 1e6,
                    count == 0 ? 0 : all.getValueAtPercentile(99) / 1e6,
                    tokenSum / (double) WINDOW_SECONDS);
        }
    }
}
