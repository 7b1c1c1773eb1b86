package ai.qubittron.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.jdbc.PostgresBackend;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.redis.CachingApiKeyStore;
import ai.qubittron.bastion.redis.RedisRateLimiter;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.limit.RateLimits;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import ai.qubittron.bastion.testing.RedisServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
 * Several gateway nodes sharing their state: rate limits in Redis, accounts, credit and keys in
 * PostgreSQL (the machine's own: 127.0.0.1:6379 and :5432, database {@code test}). Limits and money hold
 * across the nodes; when Redis or PostgreSQL is gone the nodes answer 503 and let nothing through
 * unmetered, then recover by themselves.
 */
@ExtendWith(LeakDetectionExtension.class)
@Timeout(180)
class SharedStateTest {

    private static final String POSTGRES = System.getProperty("bastion.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    private static final String REDIS = System.getProperty("bastion.test.redis", "redis://127.0.0.1:6379");
    private static final String CHAT = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"max_tokens\":1}";
    private static final ModelPrice PRICE = new ModelPrice(1_000_000, 1_000_000);
    private static final String ACCOUNT = "acct_shared";
    private static final String ADMIN_TOKEN = "shared-admin-token-0123";

    private final List<AutoCloseable> opened = new ArrayList<>();
    private final List<CachingApiKeyStore> caches = new ArrayList<>();
    private PostgresBackend first;
    private final String schema = "bastion_test_" + UUID.randomUUID().toString().replace("-", "");
    private final String redisPrefix = "bastion-test:" + UUID.randomUUID() + ":";
    private SimulatedWorker worker;
    private String key;

    @AfterEach
    void close() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        try (Connection c = DriverManager.getConnection(POSTGRES); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /**
     * A node: its own gateway, connection pool and Redis connection, one worker for all. The first node
     * makes the key and funds the account, in the shared database.
     */
    private Bastion node(String redisUri, String postgresUrl, RateLimits limits, long credit) {
        return node(redisUri, postgresUrl, limits, credit, Duration.ofMillis(500));
    }

    /**
     * @param timeout how long Redis, the database and admission may take: short where an outage is
     *                tested, long where a burst on this shared 2-core machine is (the test is of exactness)
     */
    private Bastion node(String redisUri, String postgresUrl, RateLimits limits, long credit, Duration timeout) {
        if (worker == null) {
            worker = SimulatedWorker.builder().port(0).models("gpt-oss-120b")
                    .config(SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(0).build())
                    .build().start();
            opened.add(worker);
        }
        PostgresBackend postgres = PostgresBackend.connect(postgresUrl, PostgresBackend.Options.defaults()
                .withSchema(schema).withConnectTimeout(timeout));
        opened.add(postgres);
        if (first == null) {
            first = postgres;
        }
        if (key == null) {
            key = postgres.keyStore().create(new ApiPrincipal("key_shared", ACCOUNT, "limited", Set.of()));
            postgres.ledger().open(ACCOUNT, credit, "limited");
        }
        CachingApiKeyStore keys = CachingApiKeyStore.connect(postgres.keyStore(), redisUri, Duration.ofMinutes(5),
                "bastion-test:keys:" + schema);
        opened.add(keys);
        caches.add(keys);
        TierTable tiers = new TierTable();
        tiers.set("limited", limits);
        RedisRateLimiter limiter = RedisRateLimiter.connect(redisUri, redisPrefix, null, timeout);
        opened.add(limiter);
        Bastion gateway = Bastion.builder().port(0).ioThreads(1).discovery(false).tiers(tiers)
                .keyStore(keys).ledger(postgres.ledger()).rateLimiter(limiter)
                .prices(new PriceBook(PRICE)).admissionTimeout(timeout.multipliedBy(4))
                .worker("gpt-oss-120b", URI.create(worker.baseUrl())).build().start();
        opened.add(gateway);
        return gateway;
    }

    private List<Bastion> nodes(int count, RateLimits limits, long credit) {
        List<Bastion> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(node(REDIS, POSTGRES, limits, credit, Duration.ofSeconds(10)));
        }
        return nodes;
    }

    private HttpRequest chat(Bastion node) {
        return HttpRequest.newBuilder(URI.create(node.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();
    }

    private Map<Integer, Integer> burst(List<Bastion> nodes, int requests) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            sent.add(http.sendAsync(chat(nodes.get(i % nodes.size())), HttpResponse.BodyHandlers.ofString()));
        }
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (CompletableFuture<HttpResponse<String>> response : sent) {
            HttpResponse<String> r = response.join();
            statuses.merge(r.statusCode(), 1, Integer::sum);
            if (r.statusCode() != 200) {
                assertThat(r.body()).as("status " + r.statusCode()).startsWith("{\"error\":");
            }

        }
        return statuses;
    }

    private AccountBalance balance() throws Exception {
        try (Connection c = DriverManager.getConnection(POSTGRES); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT balance_micros, reserved_micros, spent_micros FROM " + schema
                     + ".bastion_accounts WHERE account_id = '" + ACCOUNT + "'")) {
            assertThat(r.next()).isTrue();
            return new AccountBalance(ACCOUNT, r.getLong(1), r.getLong(2), r.getLong(3));
        }
    }

    private long journal(String what) throws Exception {
        try (Connection c = DriverManager.getConnection(POSTGRES); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT " + what + " FROM " + schema + ".bastion_ledger_journal")) {
            assertThat(r.next()).isTrue();
            return r.getLong(1);
        }
    }

    @Test
    void aKeyLimitedTo100RequestsAMinuteGetsExactly100AcrossThreeNodes() throws Exception {
        List<Bastion> nodes = nodes(3, new RateLimits(100, 10_000_000), 1_000_000_000L);
        // the windows are Redis's minutes: keep the burst inside one
        long intoMinute = System.currentTimeMillis() % 60_000;
        if (intoMinute > 40_000) {
            Thread.sleep(60_000 - intoMinute + 500);
        }
        Map<Integer, Integer> statuses = burst(nodes, 1_000);

        assertThat(statuses).isEqualTo(Map.of(200, 100, 429, 900));
        assertThat(worker.stats().requestsReceived()).isEqualTo(100);
        // each admitted request settled once, in the shared journal
        assertThat(journal("count(*) FILTER (WHERE state = 'settled')")).isEqualTo(100);
    }

    @Test
    void anAccountFundedForNRequestsNeverGoesBelowZeroAndEverySettlementAddsUp() throws Exception {
        // a request reserves its worst case: the body's bytes as prompt tokens, and 1 output token
        long worstCase = PRICE.costMicros(CHAT.getBytes(StandardCharsets.UTF_8).length, 1);
        long initial = worstCase * 60 + worstCase / 2;
        List<Bastion> nodes = nodes(3, RateLimits.UNLIMITED, initial);

        Map<Integer, Integer> statuses = burst(nodes, 1_000);

        AccountBalance after = balance();
        assertThat(after.balanceMicros()).isNotNegative();
        assertThat(after.reservedMicros()).isZero();
        // Σ settled = initial − final, and the account's spent says the same
        assertThat(journal("coalesce(sum(charged_micros), 0)")).isEqualTo(initial - after.balanceMicros())
                .isEqualTo(after.spentMicros());
        int served = statuses.getOrDefault(200, 0);
        assertThat(served).isGreaterThanOrEqualTo(60);
        assertThat(statuses.getOrDefault(402, 0)).isEqualTo(1_000 - served);
        assertThat(journal("count(*) FILTER (WHERE state = 'settled' AND charged_micros > 0)")).isEqualTo(served);
        assertThat(worker.stats().requestsReceived()).isEqualTo(served);
    }

    @Test
    void aKeyRevokedOnOneNodeStopsWorkingOnAll() throws Exception {
        List<Bastion> nodes = nodes(3, new RateLimits(1_000, 10_000_000), 1_000_000_000L);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (Bastion node : nodes) {
            // looked up once, then served from each node's cache
            assertThat(http.send(chat(node), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(http.send(chat(node), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
        // what the admin API of the first node does
        assertThat(first.keyStore().revoke("key_shared")).isTrue();
        caches.get(0).announceRevoked("key_shared");
        for (Bastion node : nodes) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int status = 200;
            while (status == 200 && System.nanoTime() < deadline) {
                status = http.send(chat(node), HttpResponse.BodyHandlers.ofString()).statusCode();
            }
            assertThat(status).isEqualTo(401);
        }
    }

    @Test
    void withRedisGoneEveryNodeAnswers503AndNothingPassesThenServiceComesBack() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            List<Bastion> nodes = List.of(node(redis.uri(), POSTGRES, new RateLimits(1_000, 10_000_000), 1_000_000_000L),
                    node(redis.uri(), POSTGRES, new RateLimits(1_000, 10_000_000), 1_000_000_000L));
            assertOutageAndRecovery(nodes, redis::stop, redis::restart);
        }
    }

    @Test
    void withPostgresGoneEveryNodeAnswers503AndNothingPassesThenServiceComesBack() throws Exception {
        // the database as the nodes see it: behind a relay that the test cuts (every connection dropped,
        // new ones refused) and restores
        URI database = URI.create(POSTGRES.substring("jdbc:".length()));
        TcpProxy proxy = new TcpProxy(database.getHost(), database.getPort() < 0 ? 5432 : database.getPort());
        opened.add(proxy);
        String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + database.getRawPath()
                + (database.getRawQuery() != null ? "?" + database.getRawQuery() : "");
        List<Bastion> nodes = List.of(node(REDIS, url, new RateLimits(1_000, 10_000_000), 1_000_000_000L),
                node(REDIS, url, new RateLimits(1_000, 10_000_000), 1_000_000_000L));
        // the first node's admin API, on the same database
        AdminServer admin = AdminServer.start("127.0.0.1", 0, ADMIN_TOKEN, new SharedAdminBackend(first.keyStore(), null,
                first.ledger(), new TierTable(), new PriceBook(PRICE), ModelCatalog.defaults()));
        opened.add(admin);
        HttpRequest account = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/admin/v1/accounts/"
                + ACCOUNT)).header("Authorization", "Bearer " + ADMIN_TOKEN).build();
        HttpClient http = HttpClient.newHttpClient();
        assertThat(http.send(account, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertOutageAndRecovery(nodes, () -> {
            proxy.cut();
            // the database is down: the admin API says so, rather than a conflict or an internal error
            HttpResponse<String> down = http.send(account, HttpResponse.BodyHandlers.ofString());
            assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
            assertThat(down.body()).contains("\"code\":\"service_unavailable\"");
        }, proxy::restore);
        assertThat(http.send(account, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        // a settlement the cut made fail is retried until the database takes it: nothing stays reserved
        // (and so released unbilled by the sweeper later)
        AccountBalance after = balance();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (after.reservedMicros() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            after = balance();
        }
        assertThat(after.reservedMicros()).isZero();
        assertThat(journal("coalesce(sum(charged_micros), 0)")).isEqualTo(after.spentMicros());
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private void assertOutageAndRecovery(List<Bastion> nodes, Step stop, Step start) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (Bastion node : nodes) {
            HttpResponse<String> ok = http.send(chat(node), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        }
        long served = worker.stats().requestsReceived();

        stop.run();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> down = http.send(chat(nodes.get(i % nodes.size())), HttpResponse.BodyHandlers.ofString());
            assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
            assertThat(down.body()).contains("\"code\":\"service_unavailable\"");
            assertThat(down.headers().firstValue("retry-after")).isPresent();
        }
        // nothing went through unlimited or unmetered
        assertThat(worker.stats().requestsReceived()).isEqualTo(served);

        start.run();
        for (Bastion node : nodes) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline) {
                status = http.send(chat(node), HttpResponse.BodyHandlers.ofString()).statusCode();
                if (status != 200) {
                    assertThat(status).isEqualTo(503);
                    Thread.sleep(200);
                }
            }
            assertThat(status).as("a node serves again once the backend is back").isEqualTo(200);
        }
    }
}
