package ai.qubittron.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.redis.RedisRateLimiter;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimits;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several gateway nodes with their rate limits in one Redis: a key's limit holds across all of them, and
 * when Redis is gone the nodes answer 503 and let nothing through unlimited, then recover with it.
 */
@ExtendWith(LeakDetectionExtension.class)
@Timeout(120)
class SharedLimitsTest {

    private static final String KEY = "qbt_shared_limits_key_0123456789";
    private static final String CHAT = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"max_tokens\":1}";

    private final List<AutoCloseable> opened = new ArrayList<>();
    private SimulatedWorker worker;

    @AfterEach
    void close() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    /** A node: its own gateway and connection to Redis, the same key and tier as the others, one worker for all. */
    private Bastion node(String redisUri, String prefix, RateLimits limits) {
        if (worker == null) {
            worker = SimulatedWorker.builder().port(0).models("gpt-oss-120b")
                    .config(SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(0).build())
                    .build().start();
            opened.add(worker);
        }
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        keys.add(KEY, new ApiPrincipal("key_shared", "acct_shared", "limited", Set.of()));
        TierTable tiers = new TierTable();
        tiers.set("limited", limits);
        RedisRateLimiter limiter = RedisRateLimiter.connect(redisUri, prefix, null, Duration.ofMillis(500));
        opened.add(limiter);
        Bastion gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys).discovery(false).tiers(tiers)
                .rateLimiter(limiter).admissionTimeout(Duration.ofSeconds(1))
                .worker("gpt-oss-120b", URI.create(worker.baseUrl())).build().start();
        opened.add(gateway);
        return gateway;
    }

    private static HttpRequest chat(Bastion node) {
        return HttpRequest.newBuilder(URI.create(node.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();
    }

    @Test
    void aKeyLimitedTo100RequestsAMinuteGetsExactly100AcrossThreeNodes() throws Exception {
        String prefix = "bastion-test:" + UUID.randomUUID() + ":";
        RateLimits limits = new RateLimits(100, 10_000_000);
        List<Bastion> nodes = List.of(node("redis://127.0.0.1:6379", prefix, limits),
                node("redis://127.0.0.1:6379", prefix, limits), node("redis://127.0.0.1:6379", prefix, limits));
        // the windows are Redis's minutes: keep the burst inside one
        long intoMinute = System.currentTimeMillis() % 60_000;
        if (intoMinute > 40_000) {
            Thread.sleep(60_000 - intoMinute + 500);
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            sent.add(http.sendAsync(chat(nodes.get(i % 3)), HttpResponse.BodyHandlers.ofString()));
        }
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (CompletableFuture<HttpResponse<String>> response : sent) {
            HttpResponse<String> r = response.join();
            statuses.merge(r.statusCode(), 1, Integer::sum);
            if (r.statusCode() == 429) {
                assertThat(r.body()).contains("\"code\":\"rate_limit_exceeded\"");
                assertThat(r.headers().firstValue("retry-after")).isPresent();
                assertThat(r.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
            }
        }
        assertThat(statuses).isEqualTo(Map.of(200, 100, 429, 900));
        assertThat(worker.stats().requestsReceived()).isEqualTo(100);
    }

    @Test
    void withRedisGoneEveryNodeAnswers503AndNothingPassesThenServiceComesBack() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        String uri = "redis://127.0.0.1:" + port;
        Process redis = startRedis(port);
        try {
            RateLimits limits = new RateLimits(1_000, 10_000_000);
            String prefix = "bastion-test:" + UUID.randomUUID() + ":";
            List<Bastion> nodes = List.of(node(uri, prefix, limits), node(uri, prefix, limits));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (Bastion node : nodes) {
                assertThat(http.send(chat(node), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            long served = worker.stats().requestsReceived();

            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> down = http.send(chat(nodes.get(i % 2)), HttpResponse.BodyHandlers.ofString());
                assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
                assertThat(down.body()).contains("\"code\":\"service_unavailable\"");
                assertThat(down.headers().firstValue("retry-after")).isPresent();
            }
            // nothing went through unlimited
            assertThat(worker.stats().requestsReceived()).isEqualTo(served);

            redis = startRedis(port);
            for (Bastion node : nodes) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int status = 0;
                while (status != 200 && System.nanoTime() < deadline) {
                    status = http.send(chat(node), HttpResponse.BodyHandlers.ofString()).statusCode();
                    if (status != 200) {
                        assertThat(status).isEqualTo(503);
                        Thread.sleep(100);
                    }
                }
                assertThat(status).as("a node serves again once Redis is back").isEqualTo(200);
            }
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Process startRedis(int port) throws IOException, InterruptedException {
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return redis;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        redis.destroy();
        throw new IllegalStateException("redis-server did not start on port " + port);
    }
}
