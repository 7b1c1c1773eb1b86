package ai.qubittron.bastion.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimits;
import ai.qubittron.bastion.spi.tck.MutableClock;
import ai.qubittron.bastion.spi.tck.RateLimiterContractTest;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class InMemoryRateLimiterTest extends RateLimiterContractTest {

    @Override
    protected RateLimiter newLimiter(MutableClock clock) {
        return new InMemoryRateLimiter(clock);
    }

    @Test
    void negativeTokensAreAnArgumentError() {
        assertThatThrownBy(() -> limiter().acquire("key", new RateLimits(1, 1), -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokens");
    }

    @Test
    void aCallerWhoseClockLagsBehindANewWindowIsCountedInIt() {
        RateLimits limits = new RateLimits(2, 100);
        clock().setMillis(MINUTE_START_MILLIS + 60_000);
        assertThat(acquire(limits, 10).remainingRequests()).isEqualTo(1);

        clock().setMillis(MINUTE_START_MILLIS + 59_999);
        RateLimitDecision late = acquire(limits, 10);
        RateLimitDecision refused = acquire(limits, 10);

        assertThat(late).isEqualTo(new RateLimitDecision(true, 2, 0, 100, 80, 60_001, 0));
        assertThat(refused).isEqualTo(new RateLimitDecision(false, 2, 0, 100, 80, 60_001, 60_001));
    }

    @Test
    void remainingIsNeverNegativeWhenATierIsLoweredMidWindow() {
        acquire(new RateLimits(10, 1_000), 500);
        acquire(new RateLimits(10, 1_000), 500);

        RateLimitDecision lowered = acquire(new RateLimits(1, 100), 1);

        assertThat(lowered.allowed()).isFalse();
        assertThat(lowered.remainingRequests()).isZero();
        assertThat(lowered.remainingTokens()).isZero();
    }

    @Test
    void decisionsAreCompleteWhenReturned() {
        assertThat(limiter().acquire("key", new RateLimits(1, 1), 1).toCompletableFuture()).isDone();
        assertThat(new InMemoryRateLimiter().acquire("key", RateLimits.UNLIMITED, 1).toCompletableFuture())
                .isCompletedWithValueMatching(RateLimitDecision::allowed);
    }

    private RateLimitDecision acquire(RateLimits limits, long tokens) {
        CompletionStage<RateLimitDecision> stage = limiter().acquire("key", limits, tokens);
        return stage.toCompletableFuture().join();
    }
}
