package ai.qubittron.bastion.spi.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RateLimitRequestTest {

    private static final RateLimits LIMITS = new RateLimits(10, 1_000);

    @Test
    void everyFieldIsRequiredAndNamedWhenMissing() {
        assertThatThrownBy(() -> new RateLimitRequest(null, "acct", "default", "m", "/v1/completions", LIMITS, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("keyId");
        assertThatThrownBy(() -> new RateLimitRequest("key", null, "default", "m", "/v1/completions", LIMITS, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("accountId");
        assertThatThrownBy(() -> new RateLimitRequest("key", "acct", null, "m", "/v1/completions", LIMITS, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("tier");
        assertThatThrownBy(() -> new RateLimitRequest("key", "acct", "default", null, "/v1/completions", LIMITS, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("modelId");
        assertThatThrownBy(() -> new RateLimitRequest("key", "acct", "default", "m", null, LIMITS, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("endpoint");
        assertThatThrownBy(() -> new RateLimitRequest("key", "acct", "default", "m", "/v1/completions", null, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("limits");
    }

    @Test
    void negativeTokensAreRefusedWithTheValue() {
        assertThatThrownBy(() -> new RateLimitRequest("key", "acct", "default", "m", "/v1/completions", LIMITS, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tokens: must be >= 0, got -1");
        assertThat(new RateLimitRequest("key", "acct", "default", "m", "/v1/completions", LIMITS, 0).tokens()).isZero();
    }

    @Test
    void aLimiterWrittenAsALambdaIsAskedByKeyTierLimitsAndTokens() {
        List<String> asked = new ArrayList<>();
        RateLimitDecision yes = new RateLimitDecision(true, 10, 9, 1_000, 993, 1_000, 0);
        RateLimiter limiter = (key, limits, tokens) -> {
            asked.add(key + " " + limits + " " + tokens);
            return CompletableFuture.completedFuture(yes);
        };

        RateLimitDecision decision = limiter.acquire(new RateLimitRequest("key_a", "acct_a", "pro", "gpt-oss-120b",
                "/v1/chat/completions", LIMITS, 7)).toCompletableFuture().join();

        assertThat(decision).isSameAs(yes);
        assertThat(asked).containsExactly("key_a " + LIMITS + " 7");
    }
}
