package ai.qubittron.bastion.examples.quota;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Set;

/**
 * A gateway with limits per model: the big model, {@value #BIG_MODEL}, allows each key
 * {@link #BIG_MODEL_LIMITS} (3 requests and 20,000 tokens a minute), while the small one,
 * {@value #SMALL_MODEL}, has the tier's limits (600 requests a minute). A simulated GPU worker serves
 * both; two keys, Alice's and Bob's, call them.
 *
 * <p>{@link #main} sends Alice's fourth request for the big model in one minute, which gets 429 with
 * {@code Retry-After}, then Alice's request for the small model and Bob's for the big one, which both
 * answer.
 */
public final class QuotaPolicyExample implements AutoCloseable {

    public static final String BIG_MODEL = "gpt-oss-120b";
    public static final String SMALL_MODEL = "gpt-oss-20b";
    public static final RateLimits BIG_MODEL_LIMITS = new RateLimits(3, 20_000);

    private final SimulatedWorker worker;
    private final Bastion gateway;
    private final String aliceKey;
    private final String bobKey;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private QuotaPolicyExample(Clock clock) {
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        aliceKey = keys.create(new ApiPrincipal("key_alice", "acct_alice", ApiPrincipal.DEFAULT_TIER, Set.of()));
        bobKey = keys.create(new ApiPrincipal("key_bob", "acct_bob", ApiPrincipal.DEFAULT_TIER, Set.of()));
        PerModelRateLimiter limiter = PerModelRateLimiter.builder()
                .model(BIG_MODEL, BIG_MODEL_LIMITS)
                .clock(clock)
                .build();
        worker = SimulatedWorker.builder().port(0).models(BIG_MODEL, SMALL_MODEL).build().start();
        try {
            gateway = Bastion.builder()
                    .port(0)
                    .keyStore(keys)
                    // given explicitly: discovery would find the plugin only with its file configured
                    .rateLimiter(limiter)
                    .worker(BIG_MODEL, URI.create(worker.baseUrl()))
                    .worker(SMALL_MODEL, URI.create(worker.baseUrl()))
                    .build()
                    .start();
        } catch (RuntimeException e) {
            worker.close();
            throw e;
        }
    }

    /** Starts the worker and the gateway on ephemeral ports; windows follow {@code clock}. */
    public static QuotaPolicyExample start(Clock clock) {
        return new QuotaPolicyExample(clock);
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        try (QuotaPolicyExample example = start(Clock.systemUTC())) {
            // (a minute that ends during the run starts a new window, and the fourth is admitted too)
            for (int i = 1; i <= BIG_MODEL_LIMITS.requestsPerMinute() + 1; i++) {
                print("Alice, " + BIG_MODEL + " #" + i, example.chat(example.aliceKey(), BIG_MODEL));
            }
            print("Alice, " + SMALL_MODEL, example.chat(example.aliceKey(), SMALL_MODEL));
            print("Bob,   " + BIG_MODEL, example.chat(example.bobKey(), BIG_MODEL));
        }
    }

    private static void print(String who, HttpResponse<String> response) {
        System.out.println(who + " -> " + response.statusCode()
                + "  x-ratelimit-limit-requests: " + header(response, "x-ratelimit-limit-requests")
                + "  x-ratelimit-remaining-requests: " + header(response, "x-ratelimit-remaining-requests")
                + (response.statusCode() == 429 ? "  retry-after: " + header(response, "retry-after") + "\n    "
                        + response.body() : ""));
    }

    private static String header(HttpResponse<String> response, String name) {
        return response.headers().firstValue(name).orElse("-");
    }

    /** Sends a short chat completion for {@code model} with {@code key}. */
    public HttpResponse<String> chat(String key, String model) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Reply with exactly: ok\"}],\"max_tokens\":16}"))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The gateway's OpenAI base URL, {@code http://127.0.0.1:<port>/v1}. */
    public String baseUrl() {
        return gateway.baseUrl();
    }

    public String aliceKey() {
        return aliceKey;
    }

    public String bobKey() {
        return bobKey;
    }

    @Override
    public void close() {
        gateway.close();
        worker.close();
    }
}
