package ai.qubittron.bastion.examples.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimitRequest;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimits;
import ai.qubittron.bastion.spi.tck.MutableClock;
import ai.qubittron.bastion.spi.tck.RateLimiterContractTest;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The per-model limiter passes the SPI contract, keeps its own limits per model, and a gateway finds it by itself. */
@ExtendWith(LeakDetectionExtension.class)
class PerModelRateLimiterTest {

    private static final String BIG = "gpt-oss-120b";
    private static final String SMALL = "gpt-oss-20b";
    /** The tier's limits in the requests below: far from the model's. */
    private static final RateLimits TIER = new RateLimits(1_000, 1_000_000);

    @TempDir
    Path dir;

    /**
     * The kit's tests go through the tier's allowance (the three-argument method, and requests for a model
     * without limits of its own); the tests added here through the big model's.
     */
    @Nested
    class Contract extends RateLimiterContractTest {
        private static final long RESET_AT_START = MINUTE_START_MILLIS + 60_000 - START_MILLIS;

        @Override
        protected RateLimiter newLimiter(MutableClock clock) {
            return PerModelRateLimiter.builder().clock(clock)
                    .model(BIG, new RateLimits(2, 100))
                    .model(BIG, "free", new RateLimits(1, 10))
                    .build();
        }

        @Override
        protected String modelWithoutPolicy() {
            return SMALL;
        }

        @Test
        void aModelWithLimitsOfItsOwnHasItsOwnAllowancePerKey() {
            assertThat(acquire("key", BIG, "default", 10)).isEqualTo(new RateLimitDecision(true, 2, 1, 100, 90, RESET_AT_START, 0));
            assertThat(acquire("key", BIG, "default", 10)).isEqualTo(new RateLimitDecision(true, 2, 0, 100, 80, RESET_AT_START, 0));
            assertThat(acquire("key", BIG, "default", 10))
                    .isEqualTo(new RateLimitDecision(false, 2, 0, 100, 80, RESET_AT_START, RESET_AT_START));

            // the same key's tier allowance is untouched, and still serves the other models
            assertThat(acquire("key", SMALL, "default", 10))
                    .isEqualTo(new RateLimitDecision(true, 1_000, 999, 1_000_000, 999_990, RESET_AT_START, 0));
            assertThat(await(limiter().acquire("key", TIER, 10)).remainingRequests()).isEqualTo(998);
            // another key has the big model's whole allowance
            assertThat(acquire("other-key", BIG, "default", 100))
                    .isEqualTo(new RateLimitDecision(true, 2, 1, 100, 0, RESET_AT_START, 0));
        }

        @Test
        void aTiersOwnLimitForAModelWinsOverTheModelsLimitForEveryTier() {
            assertThat(acquire("key-free", BIG, "free", 10)).isEqualTo(new RateLimitDecision(true, 1, 0, 10, 0, RESET_AT_START, 0));
            assertThat(acquire("key-free", BIG, "free", 0).allowed()).isFalse();
            assertThat(acquire("key-pro", BIG, "pro", 10).limitRequests()).isEqualTo(2);
        }

        @Test
        void aModelsWindowEndsWithTheMinuteAndRetryAfterSaysWhen() {
            acquire("key", BIG, "default", 50);
            acquire("key", BIG, "default", 50);
            RateLimitDecision refused = acquire("key", BIG, "default", 1);
            assertThat(refused.allowed()).isFalse();
            assertThat(refused.retryAfterSeconds()).isEqualTo(50);

            clock().advanceMillis(refused.retryAfterMillis() - 1);
            assertThat(acquire("key", BIG, "default", 1).allowed()).isFalse();
            clock().advanceMillis(1);
            assertThat(acquire("key", BIG, "default", 1)).isEqualTo(new RateLimitDecision(true, 2, 1, 100, 99, 60_000, 0));
        }

        @Test
        void aRequestLargerThanTheModelsTokenLimitIsRefusedWithThatLimitAndConsumesNothing() {
            RateLimitDecision tooLarge = acquire("key", BIG, "default", 101);

            assertThat(tooLarge).isEqualTo(new RateLimitDecision(false, 2, 2, 100, 100, RESET_AT_START, RESET_AT_START));
            // what the gateway compares to answer "too large", without Retry-After
            assertThat(tooLarge.limitTokens()).isLessThan(101);
            assertThat(acquire("key", BIG, "default", 100).allowed()).isTrue();
        }

        /** 1,000 acquisitions on 8 threads against the big model's 2 requests a minute, on each of 20 keys. */
        @Test
        void exactlyTheModelsRequestLimitIsAllowedHoweverManyCallersRace() throws Exception {
            ExecutorService threads = Executors.newFixedThreadPool(8);
            try {
                for (int race = 0; race < 20; race++) {
                    String key = "racing-key-" + race;
                    CountDownLatch start = new CountDownLatch(1);
                    Callable<List<RateLimitDecision>> caller = () -> {
                        start.await();
                        return IntStream.range(0, 125).mapToObj(i -> acquire(key, BIG, "default", 1)).toList();
                    };
                    List<Future<List<RateLimitDecision>>> callers = IntStream.range(0, 8).mapToObj(t -> threads.submit(caller)).toList();
                    start.countDown();
                    List<RateLimitDecision> allowed = callers.stream().flatMap(f -> join(f).stream())
                            .filter(RateLimitDecision::allowed).toList();
                    assertThat(allowed.stream().mapToLong(RateLimitDecision::remainingRequests).sorted().toArray())
                            .containsExactly(LongStream.range(0, 2).toArray());
                }
            } finally {
                threads.shutdownNow();
            }
        }

        private RateLimitDecision acquire(String key, String model, String tier, long tokens) {
            return await(limiter().acquire(new RateLimitRequest(key, "acct-" + key, tier, model, "/v1/chat/completions",
                    TIER, tokens)));
        }
    }

    @Test
    void theLimitsFileHasOneLimitALineWithAnOptionalTier() throws IOException {
        Path file = dir.resolve("limits.txt");
        Files.writeString(file, """
                # model        requests/min  tokens/min  [tier]
                gpt-oss-120b   20            40000

                gpt-oss-120b   5             10000       free
                Qwen3-32B      100           200000      pro
                """);

        PerModelRateLimiter limiter = PerModelRateLimiter.builder().file(file).build();

        assertThat(limiter.limits(BIG, "default")).isEqualTo(new RateLimits(20, 40_000));
        assertThat(limiter.limits(BIG, "free")).isEqualTo(new RateLimits(5, 10_000));
        assertThat(limiter.limits("Qwen3-32B", "pro")).isEqualTo(new RateLimits(100, 200_000));
        assertThat(limiter.limits("Qwen3-32B", "default")).isNull();
        assertThat(limiter.limits(SMALL, "default")).isNull();
    }

    @Test
    void aLineThatCannotBeReadStopsTheLimiterNamingItsFileAndLine() throws IOException {
        Path file = dir.resolve("limits.txt");
        Files.writeString(file, "gpt-oss-120b 20 40000\ngpt-oss-20b twenty 40000\n");
        assertThatThrownBy(() -> PerModelRateLimiter.builder().file(file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(file + ":2: ");

        Files.writeString(file, "gpt-oss-120b 20\n");
        assertThatThrownBy(() -> PerModelRateLimiter.builder().file(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + ":1: expected 'model requests_per_minute tokens_per_minute [tier]'");

        Files.writeString(file, "gpt-oss-120b 20 -1\n");
        assertThatThrownBy(() -> PerModelRateLimiter.builder().file(file))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(file + ":1: tokensPerMinute: must be >= 0, got -1");
    }

    @Test
    void eachLimitIsGivenOnceAndNamesAreNotBlank() {
        assertThatThrownBy(() -> PerModelRateLimiter.builder().model(BIG, TIER).model(BIG, TIER))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("modelId: the limits of 'gpt-oss-120b' are already set");
        assertThatThrownBy(() -> PerModelRateLimiter.builder().model(BIG, "free", TIER).model(BIG, "free", TIER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tier: the limits of 'gpt-oss-120b' for 'free' are already set");
        assertThatThrownBy(() -> PerModelRateLimiter.builder().model(" ", TIER))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("modelId: must not be blank, got ' '");
        assertThatThrownBy(() -> PerModelRateLimiter.builder().model(BIG, null, TIER))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tier: must not be blank, got null");
    }

    @Test
    void aGatewayBuiltWithoutALimiterDiscoversThePluginAndAppliesItsFile() throws Exception {
        Path file = dir.resolve("limits.txt");
        Files.writeString(file, "# the big model: 2 requests a minute per key\ngpt-oss-120b 2 100000\n");
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        String key = keys.create(new ApiPrincipal("key_found", "acct_found", ApiPrincipal.DEFAULT_TIER, Set.of()));
        System.setProperty(PerModelRateLimiter.FILE_PROPERTY, file.toString());
        try (SimulatedWorker worker = SimulatedWorker.builder().port(0).models(BIG, SMALL).build().start();
             Bastion gateway = Bastion.builder().port(0).keyStore(keys)
                     .worker(BIG, URI.create(worker.baseUrl())).worker(SMALL, URI.create(worker.baseUrl()))
                     .build().start()) {
            // the discovered plugin runs on the system clock: keep the three requests in one minute
            awayFromTheEndOfAMinute();
            assertThat(chat(gateway, key, BIG).statusCode()).isEqualTo(200);
            assertThat(chat(gateway, key, BIG).statusCode()).isEqualTo(200);
            HttpResponse<String> limited = chat(gateway, key, BIG);
            HttpResponse<String> small = chat(gateway, key, SMALL);

            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("retry-after")).isPresent();
            assertThat(limited.headers().firstValue("x-ratelimit-limit-requests")).hasValue("2");
            assertThat(small.statusCode()).isEqualTo(200);
            // the tier's limits (TierTable.DEFAULT_LIMITS)
            assertThat(small.headers().firstValue("x-ratelimit-limit-requests")).hasValue("600");
        } finally {
            System.clearProperty(PerModelRateLimiter.FILE_PROPERTY);
        }
    }

    @Test
    void aDiscoveredPluginWhoseFileCannotBeUsedRefusesEveryRequestRatherThanLetThemThroughUnlimited() throws Exception {
        Path file = dir.resolve("limits.txt");
        Files.writeString(file, "gpt-oss-120b 2 a-hundred-thousand\n");
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        String key = keys.create(new ApiPrincipal("key_broken", "acct_broken", ApiPrincipal.DEFAULT_TIER, Set.of()));
        System.setProperty(PerModelRateLimiter.FILE_PROPERTY, file.toString());
        try (SimulatedWorker worker = SimulatedWorker.builder().port(0).models(BIG, SMALL).build().start();
             Bastion gateway = Bastion.builder().port(0).keyStore(keys)
                     .worker(BIG, URI.create(worker.baseUrl())).worker(SMALL, URI.create(worker.baseUrl()))
                     .build().start()) {
            for (String model : List.of(BIG, SMALL)) {
                HttpResponse<String> refused = chat(gateway, key, model);
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.body()).contains("\"code\":\"service_unavailable\"", "The rate limiter is unavailable");
            }
            assertThat(worker.stats().requestsReceived()).isZero();
        } finally {
            System.clearProperty(PerModelRateLimiter.FILE_PROPERTY);
        }
    }

    /** What keeps the other examples as they were: unconfigured, the registered plugin is not used. */
    @Test
    void withoutItsFileThePluginDeclinesAndADiscoveringGatewayHasNoLimiter() throws Exception {
        assumeTrue(System.getProperty(PerModelRateLimiter.FILE_PROPERTY) == null && System.getenv(PerModelRateLimiter.FILE_ENV) == null);
        assertThatThrownBy(PerModelRateLimiter::new).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(PerModelRateLimiter.FILE_PROPERTY);
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        String key = keys.create(new ApiPrincipal("key_plain", "acct_plain", ApiPrincipal.DEFAULT_TIER, Set.of()));
        try (SimulatedWorker worker = SimulatedWorker.builder().port(0).build().start();
             Bastion gateway = Bastion.builder().port(0).keyStore(keys).worker(BIG, URI.create(worker.baseUrl()))
                     .build().start()) {
            HttpResponse<String> answer = chat(gateway, key, BIG);

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("x-ratelimit-limit-requests")).isEmpty();
        }
    }

    private static HttpResponse<String> chat(Bastion gateway, String key, String model) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":1,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"ok?\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sleeps past the end of the current minute when fewer than 5 s of it are left. */
    private static void awayFromTheEndOfAMinute() throws InterruptedException {
        long left = 60_000 - System.currentTimeMillis() % 60_000;
        if (left < 5_000) {
            Thread.sleep(left + 100);
        }
    }

    private static RateLimitDecision await(java.util.concurrent.CompletionStage<RateLimitDecision> stage) {
        return stage.toCompletableFuture().join();
    }

    private static <T> T join(Future<T> future) {
        try {
            return future.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
