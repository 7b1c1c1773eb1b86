package ai.qubittron.bastion.core.limit;

import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link RateLimiter} in memory, for one gateway node: fixed one-minute windows aligned to the epoch
 * minute of its clock, the same for every key. Decisions complete synchronously.
 *
 * <p><b>Concurrency.</b> Lock-free: each key has one reference to an immutable window state (window,
 * requests and tokens used) that an acquisition replaces by compare-and-set, so counts are exact however
 * many event loops race, and a refused acquisition writes nothing. Any thread may call it.
 *
 * <p><b>Clock.</b> When racing threads read the clock on both sides of a minute boundary, a caller
 * still in the earlier minute is counted in the window that has already begun, which errs on the side
 * of the limit. {@link RateLimits#UNLIMITED} is answered without touching any state.
 *
 * <p><b>Memory.</b> One small state object per key ever seen, kept while the limiter lives; keys are
 * API-key ids, so this is bounded by the key store.
 */
public final class InMemoryRateLimiter implements RateLimiter {

    private static final long WINDOW_MILLIS = 60_000;

    private final Clock clock;
    private final ConcurrentMap<String, AtomicReference<Window>> windows = new ConcurrentHashMap<>();

    /** A limiter on the system UTC clock. */
    public InMemoryRateLimiter() {
        this(Clock.systemUTC());
    }

    /** A limiter whose windows follow {@code clock}. */
    public InMemoryRateLimiter(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * {@inheritDoc}
     *
     * <p>A request that asks for more tokens than the whole {@code tokensPerMinute} is refused with
     * {@code retryAfterMillis} set to the end of the window like any other refusal, although no window
     * will admit it; a caller can tell by comparing {@code tokens} with {@code limitTokens}.
     *
     * @throws IllegalArgumentException if {@code tokens} is negative
     */
    @Override
    public CompletionStage<RateLimitDecision> acquire(String key, RateLimits limits, long tokens) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(limits, "limits");
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens: must be >= 0, got " + tokens);
        }
        long now = clock.millis();
        long minute = Math.floorDiv(now, WINDOW_MILLIS);
        long rpm = limits.requestsPerMinute();
        long tpm = limits.tokensPerMinute();
        if (rpm == Long.MAX_VALUE && tpm == Long.MAX_VALUE) {
            return CompletableFuture.completedFuture(new RateLimitDecision(true, rpm, rpm, tpm, tpm,
                    resetMillis(minute, now), 0));
        }
        AtomicReference<Window> state = windows.get(key);
        if (state == null) {
            state = windows.computeIfAbsent(key, k -> new AtomicReference<>(Window.NONE));
        }
        while (true) {
            Window current = state.get();
            // A newer window than our clock reading: a racing thread crossed the minute first; count in it.
            Window used = current.minute >= minute ? current : new Window(minute, 0, 0);
            long reset = resetMillis(used.minute, now);
            if (used.requests >= rpm || tokens > tpm - used.tokens) {
                return CompletableFuture.completedFuture(new RateLimitDecision(false, rpm,
                        Math.max(0, rpm - used.requests), tpm, Math.max(0, tpm - used.tokens), reset, reset));
            }
            Window next = new Window(used.minute, used.requests + 1, used.tokens + tokens);
            if (state.compareAndSet(current, next)) {
                return CompletableFuture.completedFuture(new RateLimitDecision(true, rpm, rpm - next.requests,
                        tpm, tpm - next.tokens, reset, 0));
            }
        }
    }

    private static long resetMillis(long minute, long now) {
        return (minute + 1) * WINDOW_MILLIS - now;
    }

    /** What a key used in one window; replaced, never mutated. */
    private static final class Window {
        static final Window NONE = new Window(Long.MIN_VALUE, 0, 0);

        final long minute;
        final long requests;
        final long tokens;

        Window(long minute, long requests, long tokens) {
            this.minute = minute;
            this.requests = requests;
            this.tokens = tokens;
        }
    }
}
