package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.ledger.Settlement;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimitRequest;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimits;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Limits, credit and billing on the request path, against a real gateway and simulated worker. */
class AdmissionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelPrice PRICE = new ModelPrice(1_000_000, 2_000_000);

    private final TestClock clock = new TestClock(Instant.parse("2026-11-22T10:00:10Z"));
    private final InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
    private final InMemoryLedger ledger = new InMemoryLedger(clock);
    private final TierTable tiers = new TierTable();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private SimulatedWorker worker;
    private Bastion gateway;
    private String key;

    @BeforeEach
    void start() {
        worker = SimulatedWorker.builder().port(0).eventLoopThreads(1)
                .config(SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(0).build())
                .build().start();
        tiers.set("small", new RateLimits(100, 1_000_000_000L));
        key = keys.create(new ApiPrincipal("key_a", "acct_a", "small", Set.of()));
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        worker.close();
    }

    private Bastion gateway(Ledger ledgerToUse, ai.qubittron.bastion.spi.limit.RateLimiter limiter) {
        PriceBook prices = new PriceBook(PRICE);
        Bastion.Builder builder = Bastion.builder().port(0).ioThreads(2).keyStore(keys).discovery(false)
                .tiers(tiers).prices(prices).admissionTimeout(Duration.ofMillis(300))
                .worker("gpt-oss-120b", URI.create(worker.baseUrl()));
        if (ledgerToUse != null) {
            builder.ledger(ledgerToUse);
        }
        if (limiter != null) {
            builder.rateLimiter(limiter);
        }
        gateway = builder.build().start();
        return gateway;
    }

    @Test
    void aKeyLimitedTo100RequestsPerMinuteGetsExactly100Of1000() throws Exception {
        ledger.open("acct_a", 1_000_000_000L);
        gateway(ledger, new InMemoryRateLimiter(clock));
        List<HttpResponse<String>> responses = sendAll(1000, chat(1, false));
        assertThat(responses.stream().filter(r -> r.statusCode() == 200)).hasSize(100);
        List<HttpResponse<String>> limited = responses.stream().filter(r -> r.statusCode() == 429).toList();
        assertThat(limited).hasSize(900);
        HttpResponse<String> one = limited.get(0);
        assertThat(one.headers().firstValue("retry-after")).hasValue("50");
        assertThat(one.headers().firstValue("x-ratelimit-limit-requests")).hasValue("100");
        assertThat(one.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        assertThat(one.headers().firstValue("x-ratelimit-reset-requests")).hasValue("50s");
        assertThat(JSON.readTree(one.body()).get("error").get("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(JSON.readTree(one.body()).get("error").get("type").asText()).isEqualTo("rate_limit_error");

        clock.advance(Duration.ofSeconds(50));
        HttpResponse<String> nextWindow = send(chat(1, false));
        assertThat(nextWindow.statusCode()).isEqualTo(200);
        assertThat(nextWindow.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("99");
        assertThat(ledger.balance("acct_a").toCompletableFuture().join().reservedMicros()).isZero();
    }

    @Test
    void theLimiterIsAskedWithTheCatalogModelIdTheEndpointAndTheKeysAccountAndTier() throws Exception {
        ConcurrentLinkedQueue<RateLimitRequest> asked = new ConcurrentLinkedQueue<>();
        InMemoryRateLimiter counting = new InMemoryRateLimiter(clock);
        gateway(null, new RateLimiter() {
            @Override
            public CompletionStage<RateLimitDecision> acquire(String key, RateLimits limits, long tokens) {
                throw new AssertionError("the gateway asks with a RateLimitRequest");
            }

            @Override
            public CompletionStage<RateLimitDecision> acquire(RateLimitRequest request) {
                asked.add(request);
                return counting.acquire(request.keyId(), request.limits(), request.tokens());
            }
        });
        // an alias: the limiter sees the catalog id, never the client's string
        String chat = chat(8, false).replace("\"gpt-oss-120b\"", "\"openai/gpt-oss-120b\"");
        String completion = "{\"model\":\"gpt-oss-120b\",\"prompt\":\"Say ok.\",\"max_tokens\":4,\"n\":2}";

        HttpResponse<String> chatted = send(chat);
        HttpResponse<String> completed = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/completions"))
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(completion)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(chatted.statusCode()).as(chatted.body()).isEqualTo(200);
        assertThat(completed.statusCode()).as(completed.body()).isEqualTo(200);
        assertThat(completed.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("98");
        RateLimits small = tiers.limits("small");
        assertThat(asked).containsExactly(
                new RateLimitRequest("key_a", "acct_a", "small", "gpt-oss-120b", "/v1/chat/completions", small,
                        (chat.getBytes(StandardCharsets.UTF_8).length + 3) / 4 + 8),
                new RateLimitRequest("key_a", "acct_a", "small", "gpt-oss-120b", "/v1/completions", small,
                        (completion.getBytes(StandardCharsets.UTF_8).length + 3) / 4 + 2 * 4));
    }

    @Test
    void concurrentRequestsNeverSpendMoreThanTheCreditAndEachIsBilledOnce() throws Exception {
        tiers.set("small", RateLimits.UNLIMITED);
        String body = chat(8, false);
        // each request reserves its worst case: prompt bound (body bytes) + 8 output tokens
        long worstCase = PRICE.costMicros(body.getBytes(StandardCharsets.UTF_8).length, 8);
        long initial = worstCase * 300 + worstCase / 2;
        ledger.open("acct_a", initial);
        gateway(ledger, null);
        List<HttpResponse<String>> responses = sendAll(2000, body);

        long billed = 0;
        int ok = 0;
        for (HttpResponse<String> response : responses) {
            if (response.statusCode() == 200) {
                ok++;
                JsonNode usage = JSON.readTree(response.body()).get("usage");
                billed += PRICE.costMicros(usage.get("prompt_tokens").asLong(), usage.get("completion_tokens").asLong());
            } else {
                assertThat(response.statusCode()).as(response.body()).isEqualTo(402);
                assertThat(response.body()).contains("\"code\":\"insufficient_funds\"", "\"type\":\"insufficient_quota\"");
            }
        }
        assertThat(ok).isGreaterThanOrEqualTo(300);
        AccountBalance balance = ledger.balance("acct_a").toCompletableFuture().join();
        assertThat(balance.reservedMicros()).isZero();
        assertThat(balance.spentMicros()).isEqualTo(billed);
        assertThat(balance.balanceMicros()).isEqualTo(initial - billed).isNotNegative();
    }

    @Test
    void aStreamIsBilledFromItsUsageWhichOnlyAClientThatAskedSees() throws Exception {
        ledger.open("acct_a", 1_000_000_000L);
        gateway(ledger, null);
        List<JsonNode> hidden = streamChunks(chat(5, true));
        assertThat(hidden).noneMatch(c -> c.has("usage") && !c.get("usage").isNull());
        assertThat(hidden.get(hidden.size() - 1).has("x_metrics")).isTrue();
        long afterFirst = ledger.balance("acct_a").toCompletableFuture().join().spentMicros();
        assertThat(afterFirst).isPositive();

        String asking = chat(5, true).replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        List<JsonNode> shown = streamChunks(asking);
        JsonNode usage = shown.get(shown.size() - 1).get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);
        long second = ledger.balance("acct_a").toCompletableFuture().join().spentMicros() - afterFirst;
        assertThat(second).isEqualTo(PRICE.costMicros(usage.get("prompt_tokens").asLong(), 5));
        assertThat(second).isEqualTo(afterFirst);
    }

    @Test
    void aLedgerThatFailsOrHangsIs503AndNothingIsBilled() throws Exception {
        gateway(new Ledger() {
            @Override
            public CompletionStage<Reservation> reserve(String accountId, String requestId, long amountMicros) {
                throw new IllegalStateException("database down");
            }

            @Override
            public CompletionStage<Settlement> settle(String accountId, String requestId, long actualMicros) {
                throw new AssertionError("nothing was reserved");
            }

            @Override
            public CompletionStage<AccountBalance> balance(String accountId) {
                throw new AssertionError();
            }
        }, null);
        HttpResponse<String> failing = send(chat(1, false));
        assertThat(failing.statusCode()).isEqualTo(503);
        assertThat(failing.headers().firstValue("retry-after")).hasValue("1");
        assertThat(failing.body()).isEqualTo("{\"error\":{\"message\":\"The balance check is unavailable; retry the request.\","
                + "\"type\":\"api_error\",\"code\":\"service_unavailable\"}}");
        gateway.close();

        gateway(null, (k, limits, tokens) -> new CompletableFuture<RateLimitDecision>());
        long started = System.nanoTime();
        HttpResponse<String> hanging = send(chat(1, false));
        assertThat(hanging.statusCode()).isEqualTo(503);
        assertThat(hanging.body()).contains("The rate limiter is unavailable");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(worker.stats().requestsReceived()).isZero();
    }

    @Test
    void aReservationGrantedAfterTheTimeoutIsGivenBack() throws Exception {
        ledger.open("acct_a", 1_000_000_000L);
        gateway(new Ledger() {
            @Override
            public CompletionStage<Reservation> reserve(String accountId, String requestId, long amountMicros) {
                // answers after the gateway stopped waiting (300 ms)
                return CompletableFuture.supplyAsync(() -> ledger.reserve(accountId, requestId, amountMicros)
                        .toCompletableFuture().join(), CompletableFuture.delayedExecutor(600, java.util.concurrent.TimeUnit.MILLISECONDS));
            }

            @Override
            public CompletionStage<Settlement> settle(String accountId, String requestId, long actualMicros) {
                return ledger.settle(accountId, requestId, actualMicros);
            }

            @Override
            public CompletionStage<AccountBalance> balance(String accountId) {
                return ledger.balance(accountId);
            }
        }, null);
        assertThat(send(chat(1, false)).statusCode()).isEqualTo(503);
        // the late grant lands ~300 ms after the 503; the gateway must hand it straight back
        Thread.sleep(1000);
        AccountBalance balance = ledger.balance("acct_a").toCompletableFuture().join();
        assertThat(balance.reservedMicros()).isZero();
        assertThat(balance.spentMicros()).isZero();
    }

    @Test
    void everyChoiceCountsInTheWorstCase() throws Exception {
        String one = chat(8, false);
        String eight = one.replace("\"max_tokens\":8", "\"max_tokens\":8,\"n\":8");
        long bytes = eight.getBytes(StandardCharsets.UTF_8).length;
        // enough for one choice at its limit, not for eight
        ledger.open("acct_a", PRICE.costMicros(bytes, 8 * 4));
        gateway(ledger, null);
        HttpResponse<String> refused = send(eight);
        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(refused.body()).contains("may cost up to " + PRICE.costMicros(bytes, 64) + " micro-units");
        assertThat(send(one).statusCode()).isEqualTo(200);
    }

    @Test
    void aRequestNoWindowCanAdmitIsRefusedWithoutRetryAfter() throws Exception {
        tiers.set("small", new RateLimits(100, 1000));
        gateway(null, new InMemoryRateLimiter(clock));
        HttpResponse<String> tooLarge = send(chat(5000, false));
        assertThat(tooLarge.statusCode()).isEqualTo(429);
        assertThat(tooLarge.headers().firstValue("retry-after")).isEmpty();
        assertThat(tooLarge.body()).contains("Request too large for this key's limit of 1000 tokens per minute");
        assertThat(tooLarge.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("1000");
        // and it consumed nothing
        HttpResponse<String> small = send(chat(5, false));
        assertThat(small.statusCode()).isEqualTo(200);
        assertThat(small.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("99");
    }

    @Test
    void whetherARequestIsTooLargeIsJudgedByTheLimitsThePolicyAppliedNotTheTiers() throws Exception {
        tiers.set("small", new RateLimits(100, 1000));
        InMemoryRateLimiter counting = new InMemoryRateLimiter(clock);
        RateLimits generous = new RateLimits(100, 100_000);
        RateLimits stingy = new RateLimits(100, 10);
        gateway(null, new RateLimiter() {
            @Override
            public CompletionStage<RateLimitDecision> acquire(String key, RateLimits limits, long tokens) {
                return counting.acquire(key, limits, tokens);
            }

            @Override
            public CompletionStage<RateLimitDecision> acquire(RateLimitRequest request) {
                // a policy of its own: larger than the tier for chat completions, smaller for completions
                return request.endpoint().equals("/v1/chat/completions")
                        ? counting.acquire("chat:" + request.keyId(), generous, request.tokens())
                        : counting.acquire("completions:" + request.keyId(), stingy, request.tokens());
            }
        });

        HttpResponse<String> larger = send(chat(5000, false));
        assertThat(larger.statusCode()).as(larger.body()).isEqualTo(200);
        assertThat(larger.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("100000");

        HttpResponse<String> smaller = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/completions"))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-oss-120b\",\"prompt\":\"ok\",\"max_tokens\":5}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(smaller.statusCode()).isEqualTo(429);
        assertThat(smaller.headers().firstValue("retry-after")).isEmpty();
        assertThat(smaller.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("10");
        assertThat(smaller.body()).contains("Request too large for this key's limit of 10 tokens per minute");
    }

    @Test
    void aClientThatHangsUpMidStreamIsBilledOnceAndTheReservationIsFreed() throws Exception {
        ledger.open("acct_a", 1_000_000_000L);
        worker.reconfigure(SimConfig.builder().overheadMillis(0).interTokenMillis(20).build());
        gateway(ledger, null);
        String body = chat(500, true);
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int data = 0;
            String line;
            while (data < 4 && (line = in.readLine()) != null) {
                data += line.startsWith("data: ") ? 1 : 0;
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        AccountBalance balance = ledger.balance("acct_a").toCompletableFuture().join();
        while ((balance.reservedMicros() != 0 || worker.stats().requestsCancelled() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            balance = ledger.balance("acct_a").toCompletableFuture().join();
        }
        assertThat(worker.stats().requestsCancelled()).isEqualTo(1);
        assertThat(balance.reservedMicros()).isZero();
        long promptEstimate = (body.getBytes(StandardCharsets.UTF_8).length + 3) / 4;
        // the prompt estimate plus the few tokens relayed before the hang-up, far below the 500 reserved
        assertThat(balance.spentMicros()).isGreaterThanOrEqualTo(PRICE.costMicros(promptEstimate, 3))
                .isLessThan(PRICE.costMicros(promptEstimate, 100));
    }

    private static String chat(int maxTokens, boolean stream) {
        return "{\"model\":\"gpt-oss-120b\",\"max_tokens\":" + maxTokens + (stream ? ",\"stream\":true" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Count from 1 to 5.\"}]}";
    }

    private HttpRequest request(String body) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpResponse<String> send(String body) throws Exception {
        return http.send(request(body), HttpResponse.BodyHandlers.ofString());
    }

    private List<HttpResponse<String>> sendAll(int count, String body) {
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(http.sendAsync(request(body), HttpResponse.BodyHandlers.ofString()));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private List<JsonNode> streamChunks(String body) throws Exception {
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : send(body).body().lines().toList()) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                chunks.add(JSON.readTree(line.substring(6)));
            }
        }
        return chunks;
    }

    /** A clock the test moves by hand. */
    private static final class TestClock extends Clock {
        private final AtomicLong millis;

        TestClock(Instant start) {
            this.millis = new AtomicLong(start.toEpochMilli());
        }

        void advance(Duration duration) {
            millis.addAndGet(duration.toMillis());
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }
}
