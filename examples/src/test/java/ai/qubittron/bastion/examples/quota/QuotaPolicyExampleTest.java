package ai.qubittron.bastion.examples.quota;

import static ai.qubittron.bastion.examples.quota.QuotaPolicyExample.BIG_MODEL;
import static ai.qubittron.bastion.examples.quota.QuotaPolicyExample.SMALL_MODEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.qubittron.bastion.testing.LeakDetectionExtension;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The example's gateway, on real sockets: the big model is limited per key, the small one and other keys are not. */
@ExtendWith(LeakDetectionExtension.class)
class QuotaPolicyExampleTest {

    /** 10 s into a minute, standing still: the window has 50 s left. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T10:00:10Z"), ZoneOffset.UTC);

    @Test
    void theBigModelAnswers429AfterThreeRequestsWhileTheSmallModelAndAnotherKeyStillAnswer() throws Exception {
        try (QuotaPolicyExample example = QuotaPolicyExample.start(CLOCK)) {
            for (int i = 1; i <= 3; i++) {
                HttpResponse<String> admitted = example.chat(example.aliceKey(), BIG_MODEL);
                assertThat(admitted.statusCode()).as(admitted.body()).isEqualTo(200);
                assertThat(admitted.headers().firstValue("x-ratelimit-limit-requests")).hasValue("3");
                assertThat(admitted.headers().firstValue("x-ratelimit-remaining-requests")).hasValue(String.valueOf(3 - i));
                assertThat(admitted.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("20000");
            }

            HttpResponse<String> limited = example.chat(example.aliceKey(), BIG_MODEL);
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("retry-after")).hasValue("50");
            assertThat(limited.headers().firstValue("x-ratelimit-limit-requests")).hasValue("3");
            assertThat(limited.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
            assertThat(limited.headers().firstValue("x-ratelimit-reset-requests")).hasValue("50s");
            assertThat(limited.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("20000");
            assertThat(limited.body()).contains("\"code\":\"rate_limit_exceeded\"", "3 requests per minute");

            // the same key, the other model: the tier's allowance (600 a minute), untouched so far
            HttpResponse<String> small = example.chat(example.aliceKey(), SMALL_MODEL);
            assertThat(small.statusCode()).as(small.body()).isEqualTo(200);
            assertThat(small.headers().firstValue("x-ratelimit-limit-requests")).hasValue("600");
            assertThat(small.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("599");

            // another key, the big model: an allowance of its own
            HttpResponse<String> bob = example.chat(example.bobKey(), BIG_MODEL);
            assertThat(bob.statusCode()).as(bob.body()).isEqualTo(200);
            assertThat(bob.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("2");
        }
    }

    @Test
    void theOfficialSdkSeesARateLimitErrorOnTheBigModelAndAnAnswerFromTheSmallOne() {
        try (QuotaPolicyExample example = QuotaPolicyExample.start(CLOCK)) {
            // no retries: the SDK would otherwise wait out the Retry-After and try again
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(example.baseUrl()).apiKey(example.aliceKey())
                    .maxRetries(0).build();
            ChatCompletionCreateParams.Builder ask = ChatCompletionCreateParams.builder()
                    .addUserMessage("Reply with exactly: ok").maxTokens(8);
            for (int i = 0; i < 3; i++) {
                client.chat().completions().create(ask.model(BIG_MODEL).build());
            }

            RateLimitException refused = catchThrowableOfType(RateLimitException.class,
                    () -> client.chat().completions().create(ask.model(BIG_MODEL).build()));
            ChatCompletion answer = client.chat().completions().create(ask.model(SMALL_MODEL).build());

            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().values("retry-after")).containsExactly("50");
            assertThat(refused.code()).hasValue("rate_limit_exceeded");
            assertThat(answer.model()).isEqualTo(SMALL_MODEL);
            assertThat(answer.choices().get(0).message().content()).hasValueSatisfying(c -> assertThat(c).isNotBlank());
        }
    }
}
