package ai.qubittron.bastion.spi.tck;

import static ai.qubittron.bastion.spi.tck.Concurrently.await;
import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimitRequest;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link RateLimiter}, for every implementation to subclass: implement
 * {@link #newLimiter}, and every test here runs against the implementation.
 *
 * <p><b>Windows.</b> Limits apply to fixed one-minute windows aligned to the epoch minute of the
 * injected clock: the window of time {@code t} (epoch millis) is {@code [m, m + 60,000)} with
 * {@code m = floorDiv(t, 60,000) × 60,000}, the same for every key. A decision's {@code resetMillis} is
 * {@code m + 60,000 − t}, and a refused decision's {@code retryAfterMillis} equals it (the allowance is
 * whole again when the next window starts). Each test gets a fresh limiter and a {@link MutableClock}
 * that stands still at {@link #START_MILLIS}, 10.123 s into a minute, unless the test moves it.
 *
 * <p>Checked: however many callers race, at most {@code requestsPerMinute} acquisitions per key and
 * window are allowed and their tokens add up to at most {@code tokensPerMinute}; {@code remaining*}
 * count down exactly; a refused acquisition consumes neither requests nor tokens; a request asking for
 * more tokens than the whole allowance is refused; keys are independent; the next window admits again;
 * {@link RateLimits#UNLIMITED} never refuses.
 *
 * <p><b>The request-taking method.</b> The tests above call {@code acquire(key, limits, tokens)}. For a
 * request for {@link #modelWithoutPolicy()}, {@code acquire(RateLimitRequest)} must decide exactly as
 * that method (which is what the default method does): both draw on one allowance per key, however they
 * are interleaved or race. A limiter with policies of its own (per model, per account…) adds tests of
 * them in its subclass, with {@link #clock()} and {@link #limiter()}.
 */
@Timeout(30)
public abstract class RateLimiterContractTest {

    /** The start of the minute the clock starts in: 2025-02-19T21:20:00Z. */
    protected static final long MINUTE_START_MILLIS = 1_740_000_000_000L;

    /** Where the clock stands when a test starts: 10.123 s into the minute. */
    protected static final long START_MILLIS = MINUTE_START_MILLIS + 10_123;

    private static final long RESET_AT_START = 60_000 - 10_123;
    private static final long NO_TOKEN_LIMIT = Long.MAX_VALUE;
    /** Races are repeated on fresh keys: one lost update in a few thousand attempts must not slip through. */
    private static final int RACES = 20;

    private MutableClock clock;
    private RateLimiter limiter;

    /** A new limiter with no history, reading time from {@code clock}. */
    protected abstract RateLimiter newLimiter(MutableClock clock);

    /** The clock of the current test, for subclasses that add tests of their own. */
    protected final MutableClock clock() {
        return clock;
    }

    /** The limiter of the current test, for subclasses that add tests of their own. */
    protected final RateLimiter limiter() {
        return limiter;
    }

    /**
     * A catalog model id to which the limiter under test applies no policy of its own, so that for it
     * {@code acquire(RateLimitRequest)} decides as {@code acquire(key, limits, tokens)}; default
     * {@code tck-model-without-a-policy}.
     */
    protected String modelWithoutPolicy() {
        return "tck-model-without-a-policy";
    }

    @BeforeEach
    final void newLimiterAndClock() {
        clock = new MutableClock(START_MILLIS);
        limiter = newLimiter(clock);
    }

    /** 1,000 acquisitions on 8 threads against 100 requests per minute, on each of {@value #RACES} keys. */
    @Test
    void exactlyTheRequestLimitIsAllowedHoweverManyCallersRace() {
        RateLimits limits = new RateLimits(100, NO_TOKEN_LIMIT);
        for (int race = 0; race < RACES; race++) {
            assertRequestLimitHolds(race(8, 125, "key-" + race, limits, 1));
        }
    }

    private static void assertRequestLimitHolds(Collection<RateLimitDecision> decisions) {
        assertThat(decisions).hasSize(1_000);
        List<RateLimitDecision> allowed = decisions.stream().filter(RateLimitDecision::allowed).toList();
        List<RateLimitDecision> refused = decisions.stream().filter(d -> !d.allowed()).toList();
        assertThat(allowed).hasSize(100);
        assertThat(allowed.stream().mapToLong(RateLimitDecision::remainingRequests).sorted().toArray())
                .containsExactly(LongStream.range(0, 100).toArray());
        assertThat(allowed).allSatisfy(d -> {
            assertThat(d.retryAfterMillis()).isZero();
            assertThat(d.retryAfterSeconds()).isZero();
            assertThat(d.resetMillis()).isEqualTo(RESET_AT_START);
        });
        assertThat(refused).hasSize(900).allSatisfy(d -> {
            assertThat(d.limitRequests()).isEqualTo(100);
            assertThat(d.remainingRequests()).isZero();
            assertThat(d.resetMillis()).isEqualTo(RESET_AT_START);
            assertThat(d.retryAfterMillis()).isEqualTo(RESET_AT_START);
            assertThat(d.retryAfterSeconds()).isEqualTo(50);
        });
    }

    @Test
    void remainingRequestsCountDownByOne() {
        RateLimits limits = new RateLimits(3, 1_000);

        assertThat(acquire("key", limits, 10)).isEqualTo(new RateLimitDecision(true, 3, 2, 1_000, 990, RESET_AT_START, 0));
        assertThat(acquire("key", limits, 10)).isEqualTo(new RateLimitDecision(true, 3, 1, 1_000, 980, RESET_AT_START, 0));
        assertThat(acquire("key", limits, 10)).isEqualTo(new RateLimitDecision(true, 3, 0, 1_000, 970, RESET_AT_START, 0));
        assertThat(acquire("key", limits, 10))
                .isEqualTo(new RateLimitDecision(false, 3, 0, 1_000, 970, RESET_AT_START, RESET_AT_START));
    }

    @Test
    void windowsAreAlignedToTheEpochMinute() {
        RateLimits limits = new RateLimits(2, NO_TOKEN_LIMIT);

        clock.setMillis(MINUTE_START_MILLIS);
        assertThat(acquire("key", limits, 0).resetMillis()).isEqualTo(60_000);
        clock.setMillis(MINUTE_START_MILLIS + 59_999);
        RateLimitDecision last = acquire("key", limits, 0);
        RateLimitDecision refused = acquire("key", limits, 0);
        clock.setMillis(MINUTE_START_MILLIS + 60_000);
        RateLimitDecision next = acquire("key", limits, 0);

        assertThat(last.allowed()).isTrue();
        assertThat(last.remainingRequests()).isZero();
        assertThat(last.resetMillis()).isEqualTo(1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterMillis()).isEqualTo(1);
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);
        assertThat(next.allowed()).isTrue();
        assertThat(next.remainingRequests()).isEqualTo(1);
        assertThat(next.resetMillis()).isEqualTo(60_000);
    }

    @Test
    void theNextWindowAdmitsAgain() {
        RateLimits limits = new RateLimits(2, 100);
        acquire("key", limits, 50);
        acquire("key", limits, 50);
        RateLimitDecision refused = acquire("key", limits, 1);
        assertThat(refused.allowed()).isFalse();

        clock.advanceMillis(refused.retryAfterMillis() - 1);
        assertThat(acquire("key", limits, 1).allowed()).isFalse();
        clock.advanceMillis(1);
        assertThat(acquire("key", limits, 1))
                .isEqualTo(new RateLimitDecision(true, 2, 1, 100, 99, 60_000, 0));
        clock.advanceMillis(5 * 60_000 + 1_000);
        assertThat(acquire("key", limits, 100))
                .isEqualTo(new RateLimitDecision(true, 2, 1, 100, 0, 59_000, 0));
    }

    /** 400 acquisitions of 30 tokens on 8 threads against 1,000 tokens per minute, on each of {@value #RACES} keys. */
    @Test
    void tokensAddUpToAtMostTheTokenLimitHoweverManyCallersRace() {
        RateLimits limits = new RateLimits(1_000, 1_000);
        for (int race = 0; race < RACES; race++) {
            assertTokenLimitHolds(race(8, 50, "key-" + race, limits, 30));
        }
    }

    private static void assertTokenLimitHolds(Collection<RateLimitDecision> decisions) {
        List<RateLimitDecision> allowed = decisions.stream().filter(RateLimitDecision::allowed).toList();
        assertThat(allowed).hasSize(33);
        assertThat(allowed.stream().mapToLong(RateLimitDecision::remainingTokens).sorted().toArray())
                .containsExactly(LongStream.rangeClosed(1, 33).map(k -> 1_000 - 30 * (34 - k)).toArray());
        assertThat(decisions.stream().filter(d -> !d.allowed())).hasSize(367).allSatisfy(d -> {
            assertThat(d.remainingTokens()).isEqualTo(10);
            assertThat(d.remainingRequests()).isEqualTo(1_000 - 33);
            assertThat(d.retryAfterMillis()).isEqualTo(RESET_AT_START);
        });
    }

    @Test
    void aRefusedAcquisitionConsumesNeitherRequestsNorTokens() {
        RateLimits limits = new RateLimits(3, 1_000);

        assertThat(acquire("key", limits, 600).allowed()).isTrue();
        RateLimitDecision tooManyTokens = acquire("key", limits, 500);
        assertThat(tooManyTokens.allowed()).isFalse();
        assertThat(tooManyTokens.remainingRequests()).isEqualTo(2);
        assertThat(tooManyTokens.remainingTokens()).isEqualTo(400);
        assertThat(tooManyTokens.retryAfterMillis()).isEqualTo(RESET_AT_START);

        assertThat(acquire("key", limits, 400)).isEqualTo(new RateLimitDecision(true, 3, 1, 1_000, 0, RESET_AT_START, 0));
        assertThat(acquire("key", limits, 0)).isEqualTo(new RateLimitDecision(true, 3, 0, 1_000, 0, RESET_AT_START, 0));
        assertThat(acquire("key", limits, 0))
                .isEqualTo(new RateLimitDecision(false, 3, 0, 1_000, 0, RESET_AT_START, RESET_AT_START));
    }

    @Test
    void aRequestRefusedForItsCountKeepsTheTokens() {
        RateLimits limits = new RateLimits(1, 1_000);

        assertThat(acquire("key", limits, 10).remainingTokens()).isEqualTo(990);
        assertThat(acquire("key", limits, 10))
                .isEqualTo(new RateLimitDecision(false, 1, 0, 1_000, 990, RESET_AT_START, RESET_AT_START));
        clock.advanceMillis(RESET_AT_START);
        assertThat(acquire("key", limits, 1_000).remainingTokens()).isZero();
    }

    @Test
    void aRequestLargerThanTheWholeTokenAllowanceIsRefused() {
        RateLimits limits = new RateLimits(10, 100);

        assertThat(acquire("key", limits, 101))
                .isEqualTo(new RateLimitDecision(false, 10, 10, 100, 100, RESET_AT_START, RESET_AT_START));
        assertThat(acquire("key", limits, 100))
                .isEqualTo(new RateLimitDecision(true, 10, 9, 100, 0, RESET_AT_START, 0));
    }

    @Test
    void keysAreIndependent() {
        RateLimits limits = new RateLimits(1, 100);

        assertThat(acquire("key-a", limits, 100).allowed()).isTrue();
        assertThat(acquire("key-a", limits, 1).allowed()).isFalse();
        assertThat(acquire("key-b", limits, 100))
                .isEqualTo(new RateLimitDecision(true, 1, 0, 100, 0, RESET_AT_START, 0));
    }

    @Test
    void aZeroRequestLimitRefusesEverything() {
        RateLimits limits = new RateLimits(0, 1_000);

        assertThat(acquire("key", limits, 0))
                .isEqualTo(new RateLimitDecision(false, 0, 0, 1_000, 1_000, RESET_AT_START, RESET_AT_START));
    }

    @Test
    void unlimitedNeverRefuses() {
        assertThat(acquire("key", RateLimits.UNLIMITED, Long.MAX_VALUE).allowed()).isTrue();
        assertThat(acquire("key", RateLimits.UNLIMITED, Long.MAX_VALUE).allowed()).isTrue();
        ConcurrentLinkedQueue<RateLimitDecision> refused = new ConcurrentLinkedQueue<>();

        Concurrently.run(4, t -> {
            for (int i = 0; i < 2_000; i++) {
                RateLimitDecision decision = await(limiter.acquire("key-" + (i % 4), RateLimits.UNLIMITED, 1_000_000_000));
                if (!decision.allowed()) {
                    refused.add(decision);
                }
            }
        });

        assertThat(refused).isEmpty();
    }

    @Test
    void theRequestTakingMethodDrawsOnTheAllowanceOfTheThreeArgumentOne() {
        RateLimits limits = new RateLimits(3, 1_000);

        assertThat(acquireRequest("key", limits, 10))
                .isEqualTo(new RateLimitDecision(true, 3, 2, 1_000, 990, RESET_AT_START, 0));
        assertThat(acquire("key", limits, 10)).isEqualTo(new RateLimitDecision(true, 3, 1, 1_000, 980, RESET_AT_START, 0));
        assertThat(acquireRequest("key", limits, 980))
                .isEqualTo(new RateLimitDecision(true, 3, 0, 1_000, 0, RESET_AT_START, 0));
        assertThat(acquire("key", limits, 0))
                .isEqualTo(new RateLimitDecision(false, 3, 0, 1_000, 0, RESET_AT_START, RESET_AT_START));
        assertThat(acquireRequest("key", limits, 0))
                .isEqualTo(new RateLimitDecision(false, 3, 0, 1_000, 0, RESET_AT_START, RESET_AT_START));
        assertThat(acquireRequest("other-key", limits, 1_000))
                .isEqualTo(new RateLimitDecision(true, 3, 2, 1_000, 0, RESET_AT_START, 0));

        clock.advanceMillis(RESET_AT_START);
        assertThat(acquireRequest("key", limits, 1_001).allowed()).isFalse();
        assertThat(acquireRequest("key", limits, 1))
                .isEqualTo(new RateLimitDecision(true, 3, 2, 1_000, 999, 60_000, 0));
    }

    /** Half the threads call one method, half the other: 100 of 1,000 allowed, on each of 5 keys. */
    @Test
    void bothMethodsRacingOnOneKeyAreAllowedTheRequestLimitTogether() {
        RateLimits limits = new RateLimits(100, NO_TOKEN_LIMIT);
        for (int race = 0; race < 5; race++) {
            String key = "mixed-key-" + race;
            ConcurrentLinkedQueue<RateLimitDecision> decisions = new ConcurrentLinkedQueue<>();
            Concurrently.run(8, t -> {
                for (int i = 0; i < 125; i++) {
                    decisions.add(t % 2 == 0 ? await(limiter.acquire(key, limits, 1)) : acquireRequest(key, limits, 1));
                }
            });
            assertRequestLimitHolds(decisions);
        }
    }

    /** {@code threads × perThread} acquisitions on one key, all threads released at once. */
    private Collection<RateLimitDecision> race(int threads, int perThread, String key, RateLimits limits, long tokens) {
        ConcurrentLinkedQueue<RateLimitDecision> decisions = new ConcurrentLinkedQueue<>();
        Concurrently.run(threads, t -> {
            for (int i = 0; i < perThread; i++) {
                decisions.add(await(limiter.acquire(key, limits, tokens)));
            }
        });
        return decisions;
    }

    private RateLimitDecision acquire(String key, RateLimits limits, long tokens) {
        return await(limiter.acquire(key, limits, tokens));
    }

    /** What the gateway would ask about a chat completion by {@code key} for {@link #modelWithoutPolicy()}. */
    private RateLimitDecision acquireRequest(String key, RateLimits limits, long tokens) {
        return await(limiter.acquire(new RateLimitRequest(key, "acct-of-" + key, "default", modelWithoutPolicy(),
                "/v1/chat/completions", limits, tokens)));
    }
}
