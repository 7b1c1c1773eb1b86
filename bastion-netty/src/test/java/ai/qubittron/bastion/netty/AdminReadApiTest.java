package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.core.scheduler.CircuitState;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.GatewayView;
import ai.qubittron.bastion.netty.admin.InMemoryAdminBackend;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimFaults;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admin API's reads, after real traffic through a gateway in front of simulated workers: accounts,
 * keys (never the key), tiers, prices, usage that sums to the ledger's spent, keys near their limits, and
 * the workers' live state.
 */
@ExtendWith(LeakDetectionExtension.class)
class AdminReadApiTest {

    private static final String TOKEN = "admin-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final List<SimulatedWorker> workers = new ArrayList<>();
    private static Bastion gateway;
    private static AdminServer admin;
    private static AdminServer adminWithoutGateway;
    private static InMemoryLedger ledger;
    private static TierTable tiers;

    @BeforeAll
    static void start() {
        SimConfig fast = SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(0).interTokenMillis(1).build();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        ledger = new InMemoryLedger();
        tiers = new TierTable();
        // a micro-dollar a token: spent_micros is the tokens billed
        PriceBook prices = new PriceBook(new ModelPrice(1_000_000, 1_000_000));
        Bastion.Builder builder = Bastion.builder().port(0).ioThreads(1).keyStore(keys).discovery(false)
                .rateLimiter(new InMemoryRateLimiter()).ledger(ledger).tiers(tiers).prices(prices);
        for (int i = 0; i < 3; i++) {
            SimulatedWorker worker = SimulatedWorker.builder().port(0).models("gpt-oss-120b", "gpt-oss-20b").config(fast)
                    .seed(i + 1).build().start();
            workers.add(worker);
            builder.worker("gpt-oss-120b", URI.create(worker.baseUrl())).worker("gpt-oss-20b", URI.create(worker.baseUrl()));
        }
        gateway = builder.build().start();
        InMemoryAdminBackend backend = new InMemoryAdminBackend(keys, ledger, tiers, prices, ModelCatalog.defaults());
        admin = AdminServer.start("127.0.0.1", 0, TOKEN, backend, null, GatewayView.of(gateway));
        adminWithoutGateway = AdminServer.start("127.0.0.1", 0, TOKEN, backend);
    }

    @AfterAll
    static void stop() {
        adminWithoutGateway.close();
        admin.close();
        gateway.close();
        workers.forEach(SimulatedWorker::close);
    }

    @Test
    void accountsAndKeysAreListedByPrefixAndTheKeyAppearsInNoAnswer() throws Exception {
        post("/admin/v1/accounts", "{\"id\":\"list-zeta\",\"tier\":\"free\",\"balance_micros\":7}");
        post("/admin/v1/accounts", "{\"id\":\"list-alpha\",\"balance_micros\":100000000}");
        String used = JSON.readTree(post("/admin/v1/accounts/list-alpha/keys", "").body()).get("key").asText();
        JsonNode revokedKey = JSON.readTree(post("/admin/v1/accounts/list-alpha/keys", "").body());
        String revoked = revokedKey.get("key").asText();
        long before = System.currentTimeMillis() / 1000;
        assertThat(chat(used, "gpt-oss-120b", false).statusCode()).isEqualTo(200);
        assertThat(admin("DELETE", "/admin/v1/keys/" + revokedKey.get("id").asText()).statusCode()).isEqualTo(204);

        JsonNode accounts = JSON.readTree(get("/admin/v1/accounts").body()).get("data");
        List<String> ids = new ArrayList<>();
        accounts.forEach(a -> ids.add(a.get("id").asText()));
        assertThat(ids).isSorted().contains("list-alpha", "list-zeta");
        JsonNode zeta = find(accounts, "id", "list-zeta");
        assertThat(zeta.toString()).isEqualTo("{\"id\":\"list-zeta\",\"tier\":\"free\",\"balance_micros\":7,"
                + "\"reserved_micros\":0,\"spent_micros\":0}");

        JsonNode keys = JSON.readTree(get("/admin/v1/accounts/list-alpha/keys").body()).get("data");
        assertThat(keys).hasSize(2);
        // newest first: the revoked key was made second
        JsonNode second = keys.get(0);
        JsonNode first = keys.get(1);
        assertThat(second.get("id").asText()).isEqualTo(revokedKey.get("id").asText());
        assertThat(second.get("prefix").asText()).isEqualTo(revoked.substring(0, 12));
        assertThat(second.get("revoked_at").asLong()).isGreaterThanOrEqualTo(before);
        assertThat(second.get("last_used_at").isNull()).isTrue();
        assertThat(first.get("prefix").asText()).isEqualTo(used.substring(0, 12)).startsWith("qbt_");
        assertThat(first.get("account_id").asText()).isEqualTo("list-alpha");
        assertThat(first.get("tier").asText()).isEqualTo("default");
        assertThat(first.get("created_at").asLong()).isLessThanOrEqualTo(before);
        assertThat(first.get("last_used_at").asLong()).isGreaterThanOrEqualTo(before);
        assertThat(first.get("revoked_at").isNull()).isTrue();
        assertThat(fieldNames(first)).containsExactly("id", "prefix", "account_id", "tier", "created_at", "last_used_at",
                "revoked_at");

        JsonNode all = JSON.readTree(get("/admin/v1/keys").body()).get("data");
        assertThat(find(all, "id", first.get("id").asText())).isEqualTo(first);
        assertThat(admin("GET", "/admin/v1/accounts/nobody/keys").statusCode()).isEqualTo(404);

        // no read answers a key, whole
        for (String path : List.of("/admin/v1/accounts", "/admin/v1/accounts/list-alpha/keys", "/admin/v1/keys",
                "/admin/v1/tiers", "/admin/v1/prices", "/admin/v1/usage", "/admin/v1/limits", "/admin/v1/workers",
                "/admin/v1/accounts/list-alpha")) {
            HttpResponse<String> answer = get(path);
            assertThat(answer.statusCode()).as(path).isEqualTo(200);
            assertThat(answer.body()).as(path).doesNotContain(used).doesNotContain(revoked);
        }
    }

    @Test
    void tiersAndPricesAreTheNodesTables() throws Exception {
        admin("PUT", "/admin/v1/tiers/gold", "{\"requests_per_minute\":60,\"tokens_per_minute\":9000}");
        JsonNode tierList = JSON.readTree(get("/admin/v1/tiers").body()).get("data");
        List<String> names = new ArrayList<>();
        tierList.forEach(t -> names.add(t.get("name").asText()));
        assertThat(names).isSorted().contains("default", "gold");
        assertThat(find(tierList, "name", "gold").toString())
                .isEqualTo("{\"name\":\"gold\",\"requests_per_minute\":60,\"tokens_per_minute\":9000}");
        assertThat(find(tierList, "name", "default").get("requests_per_minute").asLong())
                .isEqualTo(TierTable.DEFAULT_LIMITS.requestsPerMinute());

        admin("PUT", "/admin/v1/prices/openai/gpt-oss-20b", "{\"input_per_million_micros\":3,\"output_per_million_micros\":4}");
        try {
            JsonNode priceList = JSON.readTree(get("/admin/v1/prices").body()).get("data");
            List<String> models = new ArrayList<>();
            priceList.forEach(p -> models.add(p.get("model").asText()));
            assertThat(models).isEqualTo(ModelCatalog.defaults().models().stream().map(ModelInfo::id).toList());
            assertThat(find(priceList, "model", "gpt-oss-20b").toString()).isEqualTo(
                    "{\"model\":\"gpt-oss-20b\",\"input_per_million_micros\":3,\"output_per_million_micros\":4}");
            assertThat(find(priceList, "model", "gpt-oss-120b").get("input_per_million_micros").asLong()).isEqualTo(1_000_000);
        } finally {
            admin("PUT", "/admin/v1/prices/gpt-oss-20b",
                    "{\"input_per_million_micros\":1000000,\"output_per_million_micros\":1000000}");
        }
    }

    @Test
    void usageSumsToWhatTheLedgerCharged() throws Exception {
        post("/admin/v1/accounts", "{\"id\":\"usage-acct\",\"balance_micros\":100000000}");
        JsonNode key = JSON.readTree(post("/admin/v1/accounts/usage-acct/keys", "").body());
        long input = 0;
        long output = 0;
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = chat(key.get("key").asText(), "gpt-oss-120b", i % 2 == 1);
            assertThat(response.statusCode()).isEqualTo(200);
            if (i % 2 == 0) {
                JsonNode usage = JSON.readTree(response.body()).get("usage");
                input += usage.get("prompt_tokens").asLong();
                output += usage.get("completion_tokens").asLong();
            }
        }
        long spent = ledger.balance("usage-acct").toCompletableFuture().join().spentMicros();
        assertThat(spent).isPositive();

        List<JsonNode> rows = new ArrayList<>();
        JSON.readTree(get("/admin/v1/usage?minutes=60").body()).get("data").forEach(row -> {
            if (row.get("key_id").asText().equals(key.get("id").asText())) {
                rows.add(row);
            }
        });
        assertThat(rows).isNotEmpty().allSatisfy(row -> {
            assertThat(row.get("account_id").asText()).isEqualTo("usage-acct");
            assertThat(row.get("model").asText()).isEqualTo("gpt-oss-120b");
            assertThat(row.get("minute").asLong() % 60).isZero();
            assertThat(fieldNames(row)).containsExactly("minute", "key_id", "account_id", "model", "requests",
                    "input_tokens", "output_tokens", "spent_micros");
        });
        assertThat(rows.stream().mapToLong(r -> r.get("requests").asLong()).sum()).isEqualTo(5);
        assertThat(rows.stream().mapToLong(r -> r.get("spent_micros").asLong()).sum()).isEqualTo(spent);
        long tokens = rows.stream().mapToLong(r -> r.get("input_tokens").asLong() + r.get("output_tokens").asLong()).sum();
        assertThat(tokens).isEqualTo(spent); // a micro-dollar a token
        assertThat(tokens).isGreaterThan(input + output); // the streamed ones are in it too

        assertThat(admin("GET", "/admin/v1/usage?minutes=0").statusCode()).isEqualTo(400);
        assertThat(admin("GET", "/admin/v1/usage?minutes=61").statusCode()).isEqualTo(400);
        assertThat(admin("GET", "/admin/v1/usage?minutes=lots").body()).contains("minutes: an integer from 1 to 60");
    }

    @Test
    void limitsListTheKeysPastHalfTheirTierHighestFirst() throws Exception {
        admin("PUT", "/admin/v1/tiers/two-a-minute", "{\"requests_per_minute\":2,\"tokens_per_minute\":1000000}");
        admin("PUT", "/admin/v1/tiers/one-a-minute", "{\"requests_per_minute\":1,\"tokens_per_minute\":1000000}");
        post("/admin/v1/accounts", "{\"id\":\"limits-half\",\"tier\":\"two-a-minute\",\"balance_micros\":100000000}");
        post("/admin/v1/accounts", "{\"id\":\"limits-full\",\"tier\":\"one-a-minute\",\"balance_micros\":100000000}");
        post("/admin/v1/accounts", "{\"id\":\"limits-roomy\",\"balance_micros\":100000000}");
        JsonNode half = JSON.readTree(post("/admin/v1/accounts/limits-half/keys", "").body());
        JsonNode full = JSON.readTree(post("/admin/v1/accounts/limits-full/keys", "").body());
        JsonNode roomy = JSON.readTree(post("/admin/v1/accounts/limits-roomy/keys", "").body());
        awayFromTheEndOfAMinute();
        for (JsonNode key : List.of(half, full, roomy)) {
            assertThat(chat(key.get("key").asText(), "gpt-oss-120b", false).statusCode()).isEqualTo(200);
        }

        List<JsonNode> ours = new ArrayList<>();
        JSON.readTree(get("/admin/v1/limits").body()).get("data").forEach(row -> {
            if (row.get("account_id").asText().startsWith("limits-")) {
                ours.add(row);
            }
        });
        assertThat(ours).extracting(row -> row.get("key_id").asText())
                .containsExactly(full.get("id").asText(), half.get("id").asText());
        JsonNode halfRow = ours.get(1);
        assertThat(fieldNames(halfRow)).containsExactly("key_id", "account_id", "tier", "requests", "requests_per_minute",
                "tokens", "tokens_per_minute", "ratio");
        assertThat(halfRow.get("tier").asText()).isEqualTo("two-a-minute");
        assertThat(halfRow.get("requests").asLong()).isEqualTo(1);
        assertThat(halfRow.get("requests_per_minute").asLong()).isEqualTo(2);
        assertThat(halfRow.get("tokens").asLong()).isPositive();
        assertThat(halfRow.get("tokens_per_minute").asLong()).isEqualTo(1_000_000);
        assertThat(halfRow.get("ratio").asDouble()).isEqualTo(0.5);
        assertThat(ours.get(0).get("ratio").asDouble()).isEqualTo(1.0);
    }

    @Test
    void workersShowTheirStateLoadAndTheModelsLatency() throws Exception {
        // on gpt-oss-20b: the third worker drained, the first two failing until their circuits open
        String model = "gpt-oss-20b";
        assertThat(gateway.drainWorker(model, URI.create(workers.get(2).baseUrl()))).isTrue();
        post("/admin/v1/accounts", "{\"id\":\"workers-acct\",\"balance_micros\":100000000}");
        String key = JSON.readTree(post("/admin/v1/accounts/workers-acct/keys", "").body()).get("key").asText();
        workers.get(0).faults(SimFaults.builder().errorRate(1.0).build());
        workers.get(1).faults(SimFaults.builder().errorRate(1.0).build());
        try {
            // each request tries both (and gets 502); three failures in a row open a circuit
            for (int i = 0; i < 20 && (circuit(model, 0) == CircuitState.CLOSED || circuit(model, 1) == CircuitState.CLOSED); i++) {
                chat(key, model, false);
            }
        } finally {
            workers.get(0).faults(SimFaults.NONE);
            workers.get(1).faults(SimFaults.NONE);
        }
        assertThat(circuit(model, 0)).isNotEqualTo(CircuitState.CLOSED);
        // gpt-oss-120b is served as ever, by the same workers: drains and circuits are per model
        for (int i = 0; i < 4; i++) {
            assertThat(chat(key, "gpt-oss-120b", i % 2 == 0).statusCode()).isEqualTo(200);
        }
        long before = System.currentTimeMillis();

        JsonNode answer = JSON.readTree(get("/admin/v1/workers").body());
        Map<String, JsonNode> failing = new TreeMap<>();
        Map<String, JsonNode> serving = new TreeMap<>();
        answer.get("data").forEach(w -> (w.get("model").asText().equals(model) ? failing : serving)
                .put(w.get("worker").asText(), w));
        assertThat(failing).hasSize(3);
        JsonNode ejected = failing.get(gateway.workers(model).get(0).name());
        assertThat(ejected.get("state").asText()).isEqualTo("ejected");
        assertThat(ejected.get("circuit").asText()).isIn("open", "half_open");
        assertThat(failing.get(gateway.workers(model).get(2).name()).get("state").asText()).isEqualTo("draining");
        assertThat(fieldNames(ejected)).containsExactly("model", "worker", "state", "in_flight", "queued",
                "pending_prefill_tokens", "decoding", "ttft_seconds", "tokens_per_second", "circuit");

        assertThat(serving).hasSize(3).allSatisfy((name, w) -> {
            assertThat(w.get("model").asText()).isEqualTo("gpt-oss-120b");
            assertThat(w.get("state").asText()).isEqualTo("healthy");
            assertThat(w.get("circuit").asText()).isEqualTo("closed");
            assertThat(w.get("in_flight").asInt()).isZero();
            assertThat(w.get("queued").asInt()).isZero();
            assertThat(w.get("decoding").asInt()).isZero();
            assertThat(w.get("pending_prefill_tokens").asLong()).isZero();
            assertThat(w.get("ttft_seconds").asDouble()).isPositive();
            assertThat(w.get("tokens_per_second").asDouble()).isPositive();
        });
        assertThat(answer.get("at").asLong()).isGreaterThanOrEqualTo(before);

        // the latency window turns every second: the requests above show in it within a few
        JsonNode latency = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (latency == null && System.nanoTime() < deadline) {
            for (JsonNode m : JSON.readTree(get("/admin/v1/workers").body()).get("models")) {
                if (m.get("model").asText().equals("gpt-oss-120b") && m.get("requests").asLong() > 0) {
                    latency = m;
                }
            }
            if (latency == null) {
                Thread.sleep(100);
            }
        }
        assertThat(latency).as("the model's latency over the window").isNotNull();
        assertThat(fieldNames(latency)).containsExactly("model", "requests", "ttft_p50_seconds", "ttft_p99_seconds",
                "output_tokens_per_second");
        assertThat(latency.get("ttft_p50_seconds").asDouble()).isPositive()
                .isLessThanOrEqualTo(latency.get("ttft_p99_seconds").asDouble());
        assertThat(latency.get("output_tokens_per_second").asDouble()).isPositive();
    }

    @Test
    void anAdminApiWithoutAGatewayAnswersEmptyTrafficReads() throws Exception {
        assertThat(body(adminWithoutGateway, "/admin/v1/usage")).isEqualTo("{\"data\":[]}");
        assertThat(body(adminWithoutGateway, "/admin/v1/limits")).isEqualTo("{\"data\":[]}");
        JsonNode workersAnswer = JSON.readTree(body(adminWithoutGateway, "/admin/v1/workers"));
        assertThat(workersAnswer.get("data")).isEmpty();
        assertThat(workersAnswer.get("models")).isEmpty();
        // the stores are there: accounts and tiers are listed, keys without a last use
        assertThat(JSON.readTree(body(adminWithoutGateway, "/admin/v1/tiers")).get("data")).isNotEmpty();
        JSON.readTree(body(adminWithoutGateway, "/admin/v1/keys")).get("data")
                .forEach(k -> assertThat(k.get("last_used_at").isNull()).isTrue());
    }

    /** The circuit of the model's {@code index}-th worker (in the order they were added). */
    private static CircuitState circuit(String model, int index) {
        return gateway.workers(model).get(index).circuitState();
    }

    /** A request made in the last seconds of a minute could be counted in the next one: wait for it. */
    private static void awayFromTheEndOfAMinute() throws InterruptedException {
        long intoMinute = System.currentTimeMillis() % 60_000;
        if (intoMinute > 55_000) {
            Thread.sleep(60_000 - intoMinute + 100);
        }
    }

    private static JsonNode find(JsonNode list, String field, String value) {
        for (JsonNode item : list) {
            if (item.get(field).asText().equals(value)) {
                return item;
            }
        }
        throw new AssertionError("no " + field + " " + value + " in " + list);
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String body(AdminServer server, String path) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return admin("GET", path);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return admin("POST", path, body);
    }

    private static HttpResponse<String> admin(String method, String path) throws Exception {
        return admin(method, path, null);
    }

    private static HttpResponse<String> admin(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> chat(String key, String model, boolean stream) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":4,\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    }
}
