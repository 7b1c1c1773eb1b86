package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests are authenticated on their head: a request that fails authentication is answered 401 without
 * its body being gathered (so not 413 for a body past the limit), the connection goes on after it, and
 * the key store is asked once per request. With a key store that answers later, what arrives meanwhile
 * waits in order.
 */
class HeadAuthenticationTest {

    private static final int LIMIT = 16 * 1024;
    private static final String SMALL = "{\"model\":\"gpt-oss-120b\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    /**
     * A key store in front of its gateway's own keys that counts lookups, and answers after
     * {@code delayMillis} on another thread when that is positive; and that gateway.
     */
    static final class CountingStore implements ApiKeyStore {
        final AtomicInteger lookups = new AtomicInteger();
        final long delayMillis;
        final BastionExtension gateway;

        CountingStore(long delayMillis) {
            this.delayMillis = delayMillis;
            this.gateway = BastionExtension.withWorkers(1).configure(b -> b.maxRequestBytes(LIMIT).keyStore(this));
        }

        @Override
        public CompletableFuture<Optional<ApiPrincipal>> authenticate(String key) {
            lookups.incrementAndGet();
            CompletableFuture<Optional<ApiPrincipal>> answer = gateway.keys().authenticate(key).toCompletableFuture();
            if (delayMillis <= 0) {
                return answer;
            }
            Executor later = CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS);
            return answer.thenApplyAsync(p -> p, later);
        }
    }

    @Nested
    class WithAnImmediateKeyStore {
        static final CountingStore store = new CountingStore(0);
        @RegisterExtension
        static final BastionExtension gateway = store.gateway;

        @Test
        void aBadKeyIs401EvenWithABodyPastTheLimitAndTheConnectionGoesOn() throws IOException {
            String big = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(LIMIT * 4) + "\"}]}";
            String responses = gateway.exchange(post(big, "Bearer qbt_unknown_key_0123456789", "")
                    + post(big, null, "Transfer-Encoding: chunked\r\n")
                    + post(SMALL, "Bearer " + gateway.key(), "Connection: close\r\n"));
            assertThat(responses).startsWith("HTTP/1.1 401 Unauthorized");
            int second = responses.indexOf("HTTP/1.1 ", 10);
            int third = responses.indexOf("HTTP/1.1 ", second + 10);
            assertThat(responses.substring(second)).startsWith("HTTP/1.1 401 Unauthorized");
            assertThat(responses.substring(third)).as(responses).startsWith("HTTP/1.1 200 OK");
            assertThat(responses).doesNotContain("HTTP/1.1 413").contains("\"object\":\"chat.completion\"");
        }

        @Test
        void theKeyStoreIsAskedOncePerRequest() {
            int before = store.lookups.get();
            for (int i = 0; i < 5; i++) {
                assertThat(gateway.send(gateway.post("/v1/chat/completions", SMALL).build()).statusCode()).isEqualTo(200);
            }
            assertThat(store.lookups.get() - before).isEqualTo(5);
        }

        @Test
        void aKnownKeyWithABodyPastTheLimitIsStill413() throws IOException {
            String big = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(LIMIT * 2) + "\"}]}";
            String responses = gateway.exchange(post(big, "Bearer " + gateway.key(), "")
                    + post(SMALL, "Bearer " + gateway.key(), "Connection: close\r\n"));
            assertThat(responses).startsWith("HTTP/1.1 413 Request Entity Too Large");
            assertThat(responses.indexOf("HTTP/1.1 200 OK")).as(responses).isPositive();
        }
    }

    @Nested
    class WithAKeyStoreThatAnswersLater {
        static final CountingStore store = new CountingStore(40);
        @RegisterExtension
        static final BastionExtension gateway = store.gateway;

        @Test
        void pipelinedRequestsWaitInOrderAndGetTheirOwnAnswers() throws IOException {
            String responses = gateway.exchange(post(SMALL, "Bearer " + gateway.key(), "")
                    + post(SMALL, "Bearer qbt_unknown_key_0123456789", "")
                    + post(SMALL, "Bearer " + gateway.key(), "Transfer-Encoding: chunked\r\n")
                    + post("{\"model\":\"gpt-oss-120b\"}", "Bearer " + gateway.key(), "Connection: close\r\n"));
            int a = responses.indexOf("HTTP/1.1 200 OK");
            int b = responses.indexOf("HTTP/1.1 401 Unauthorized");
            int c = responses.indexOf("HTTP/1.1 200 OK", b);
            int d = responses.indexOf("HTTP/1.1 400 Bad Request", c);
            assertThat(a).as(responses).isZero();
            assertThat(b).as(responses).isGreaterThan(a);
            assertThat(c).as(responses).isGreaterThan(b);
            assertThat(d).as(responses).isGreaterThan(c);
            assertThat(responses).contains("Missing required parameter: 'messages'.");
        }
    }

    /** A POST of {@code body}, with an Authorization header unless {@code authorization} is null. */
    private static String post(String body, String authorization, String extraHeaders) {
        boolean chunked = extraHeaders.contains("chunked");
        StringBuilder request = new StringBuilder("POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n")
                .append(authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                .append("Content-Type: application/json\r\n").append(extraHeaders);
        if (!chunked) {
            return request.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length)
                    .append("\r\n\r\n").append(body).toString();
        }
        request.append("\r\n");
        for (int at = 0; at < body.length(); at += 1000) {
            String piece = body.substring(at, Math.min(body.length(), at + 1000));
            request.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
        }
        return request.append("0\r\n\r\n").toString();
    }
}
